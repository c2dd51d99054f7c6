using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace GenBias;

/// <summary>
/// The threads of a training run: <see cref="Run"/> runs the items 0 … count − 1 of a job, each exactly once, on the
/// calling thread and the workers, and returns when all are done; the body learns which thread runs it (0 for the
/// caller), so that it can keep per-thread copies. Which thread runs an item is left to chance, so the items must write
/// disjoint data and read only what every thread's copy holds alike: the result is then the same for any number of threads.
/// </summary>
/// <remarks>
/// A step of the trainer is microseconds of work, so a job costs no allocation and no atomic operation per item: its
/// items are dealt to fixed <em>slots</em> (slot s takes items s, s + slots, s + 2·slots, …), thread t claims slot t
/// with one compare-and-swap, and the caller, after its own slot, claims every slot no worker has claimed yet (a
/// worker asleep or without a core never makes a job wait for it to wake). Workers spin for a while between jobs
/// before they sleep. Jobs are timed now and then on the workers and on the caller alone, and the faster way is kept
/// for a while, so a machine whose cores are busy with other processes does not make training slower than on one
/// thread: which thread runs an item never changes a bit.
/// </remarks>
internal sealed class TrainingWorkers : IDisposable
{
    /// <summary>How long a waiting worker spins before it sleeps (0.2 ms: longer than a step, shorter than an epoch's end).</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000;

    /// <summary>How long the caller spins for a worker's slot before it yields its core now and then (20 µs: a few steps).</summary>
    private static readonly long YieldTicks = Stopwatch.Frequency / 50000;

    /// <summary>Jobs timed on the workers and then alone, before the faster is kept.</summary>
    private const int ProbeJobs = 64;

    /// <summary>Jobs run the faster way before both are timed again.</summary>
    private const int KeepJobs = 16384;

    /// <summary>Jobs run alone after a worker stalled one, before both ways are timed again.</summary>
    private const int StallJobs = 1024;

    /// <summary>Longs between two threads' flags: one cache line (and its neighbour, which the processor fetches in pairs) each.</summary>
    private const int Pad = 16;

    /// <summary>A wait this long (0.2 ms) for a worker's item means the worker lost its core to another process.</summary>
    private static readonly long StallTicks = Stopwatch.Frequency / 5000;

    /// <summary>Every job on the workers, never alone (for tests of the threads' bits on machines with no core to spare).</summary>
    internal static volatile bool NeverAlone;

    /// <summary>Idle workers, kept for the next run: threads started once, not per training run.</summary>
    private static readonly ConcurrentDictionary<int, ConcurrentBag<TrainingWorkers>> Idle = new();

    private readonly Thread[] _threads;
    private int _jobs;              // jobs since the last choice
    private long _windowStart;      // when the current timed window began
    private long _parallelTicks;    // the last window on the workers
    private bool _alone;            // the kept choice: run alone
    private readonly object _gate = new();

    // The job in progress: its number (published last), body and size, and per slot the last job that claimed it and
    // the last job it finished, each on its own cache line.
    private readonly long[] _flags;
    private Action<int, int>? _body;
    private int _count, _slots;
    private long _number;
    private ExceptionDispatchInfo? _error;
    private int _sleepers;
    private bool _disposed;

    /// <summary>Workers for <paramref name="threads"/> threads in all (the caller's and threads − 1 more).</summary>
    public TrainingWorkers(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _flags = new long[(threads + 2) * Pad];
        _threads = new Thread[threads - 1];
        for (int t = 0; t < _threads.Length; t++)
        {
            int slot = t + 1;
            _threads[t] = new Thread(() => Loop(slot)) { IsBackground = true, Name = $"GenBias trainer {slot}" };
            _threads[t].Start();
        }
    }

    /// <summary>Workers for <paramref name="threads"/> threads used by no one else until <see cref="Return"/>: idle ones if there are.</summary>
    public static TrainingWorkers Rent(int threads) =>
        Idle.GetOrAdd(threads, _ => []).TryTake(out TrainingWorkers? workers) ? workers : new TrainingWorkers(threads);

    /// <summary>Gives rented workers back (they sleep until rented again; at most a few are kept per thread count).</summary>
    public static void Return(TrainingWorkers workers)
    {
        ConcurrentBag<TrainingWorkers> idle = Idle.GetOrAdd(workers.Threads, _ => []);
        if (idle.Count < 4)
        {
            idle.Add(workers);
        }
        else
        {
            workers.Dispose();
        }
    }

    /// <summary>The threads in all, the caller's included.</summary>
    public int Threads => _threads.Length + 1;

    /// <summary>
    /// Runs <paramref name="body"/>(item, thread) for every item 0 … <paramref name="count"/> − 1 (thread 0 is the caller,
    /// thread t ≥ 1 the worker of slot t); rethrows the first exception. Where the job runs on the workers,
    /// <paramref name="prepare"/>(slots) runs first on the caller: threads 0 … slots − 1 may run items.
    /// </summary>
    public void Run(int count, Action<int, int> body, Action<int>? prepare = null)
    {
        TrainingProfile.JobStart();
        RunJob(count, body, prepare);
        TrainingProfile.JobEnd();
    }

    private void RunJob(int count, Action<int, int> body, Action<int>? prepare)
    {
        if (_threads.Length == 0 || count <= 1 || Alone())
        {
            for (int i = 0; i < count; i++)
            {
                body(i, 0);
            }

            return;
        }

        int slots = Math.Min(Threads, count);
        prepare?.Invoke(slots);
        long number = ++_number;
        (_body, _count, _slots, _error) = (body, count, slots, null);
        for (int s = slots; s < Threads; s++)
        {
            // Slots beyond the job's are claimed for it here, so that a worker late for an earlier job never takes one.
            Volatile.Write(ref _flags[Claimed(s)], number);
        }

        // A full fence between publishing the job and reading the sleepers (the workers fence between the two in the
        // other order), so that a worker going to sleep either sees the job or is woken.
        Interlocked.Exchange(ref _flags[0], number);
        if (Volatile.Read(ref _sleepers) > 0)
        {
            lock (_gate)
            {
                Monitor.PulseAll(_gate);
            }
        }

        RunSlot(0, 0);
        // Then every slot no worker has claimed yet; the others are waited for.
        for (int s = 1; s < slots; s++)
        {
            if (Claim(s, number))
            {
                RunSlot(s, 0);
                Volatile.Write(ref _flags[Done(s)], number);
            }
        }

        long waited = Stopwatch.GetTimestamp();
        for (int s = 1; s < slots; s++)
        {
            // Spins (a slot's items take microseconds: a yield would cost as much), then yields the core now and then
            // to a worker that may be waiting for it.
            for (int spin = 1; Volatile.Read(ref _flags[Done(s)]) < number; spin++)
            {
                if (spin % 64 == 0 && Stopwatch.GetTimestamp() - waited > YieldTicks)
                {
                    Thread.Yield();
                }
                else
                {
                    Thread.SpinWait(1);
                }
            }
        }

        if (Stopwatch.GetTimestamp() - waited > StallTicks && !NeverAlone)
        {
            // A worker lost its core in the middle of its slot: alone for a while, then both ways timed again.
            _alone = true;
            _jobs = Math.Max(_jobs, (2 * ProbeJobs) + KeepJobs - StallJobs);
        }

        _body = null;
        _error?.Throw();
    }

    /// <summary>Where slot <paramref name="slot"/>'s last claim is kept.</summary>
    private static int Claimed(int slot) => (1 + slot) * Pad;

    /// <summary>Where slot <paramref name="slot"/>'s last finished job is kept: beside its claim, so that the caller reads both in one transfer.</summary>
    private static int Done(int slot) => ((1 + slot) * Pad) + 1;

    /// <summary>Claims <paramref name="slot"/> for job <paramref name="number"/>: false if another thread has.</summary>
    private bool Claim(int slot, long number)
    {
        long last = Volatile.Read(ref _flags[Claimed(slot)]);
        return last < number && Interlocked.CompareExchange(ref _flags[Claimed(slot)], number, last) == last;
    }

    /// <summary>The items of <paramref name="slot"/> in the job in progress, on <paramref name="thread"/>.</summary>
    private void RunSlot(int slot, int thread)
    {
        Action<int, int> body = _body!;
        int count = _count, step = _slots;
        try
        {
            for (int i = slot; i < count; i += step)
            {
                body(i, thread);
            }
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
        }
    }

    /// <summary>
    /// Whether the next job runs on the calling thread alone: <see cref="ProbeJobs"/> jobs are timed on the workers,
    /// as many alone, and the faster way is kept for <see cref="KeepJobs"/> jobs (a machine busy with other processes
    /// leaves the workers no core, and then handing work over costs more than it saves).
    /// </summary>
    private bool Alone()
    {
        if (NeverAlone)
        {
            return false;
        }

        int at = _jobs++;
        if (at == 0 || at == ProbeJobs || at == 2 * ProbeJobs)
        {
            long now = Stopwatch.GetTimestamp();
            if (at == ProbeJobs)
            {
                _parallelTicks = now - _windowStart;
            }
            else if (at == 2 * ProbeJobs)
            {
                _alone = now - _windowStart < _parallelTicks;
            }

            _windowStart = now;
        }

        if (at >= (2 * ProbeJobs) + KeepJobs)
        {
            _jobs = 0;
        }

        return at < ProbeJobs ? false : at < 2 * ProbeJobs || _alone;
    }

    /// <summary>Stops the workers.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
    }

    private void Loop(int slot)
    {
        long last = 0;
        while (true)
        {
            // Spins for a while by the clock (a count of spins takes a different time on every processor), then sleeps.
            long number = last, since = Stopwatch.GetTimestamp();
            for (int spin = 1; ; spin++)
            {
                number = Volatile.Read(ref _flags[0]);
                if (number != last || Volatile.Read(ref _disposed) || (spin % 64 == 0 && Stopwatch.GetTimestamp() - since > SpinTicks))
                {
                    break;
                }

                Thread.SpinWait(1);
            }

            if (number == last)
            {
                lock (_gate)
                {
                    Interlocked.Increment(ref _sleepers);
                    while ((number = Volatile.Read(ref _flags[0])) == last && !_disposed)
                    {
                        Monitor.Wait(_gate);
                    }

                    Interlocked.Decrement(ref _sleepers);
                }
            }

            if (Volatile.Read(ref _disposed))
            {
                return;
            }

            last = number;
            // The job is read after the claim: a job whose slot a worker claimed stays in progress until the slot is done.
            if (Claim(slot, number))
            {
                RunSlot(slot, slot);
                Volatile.Write(ref _flags[Done(slot)], number);
            }
        }
    }
}
