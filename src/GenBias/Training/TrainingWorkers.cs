using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace GenBias;

/// <summary>
/// The threads of a training run: <see cref="Run"/> runs the items 0 … count − 1 of a job, each exactly once, on the
/// calling thread and the workers, and returns when all are done. Which thread runs an item is left to chance, so the
/// items must write disjoint data: the result is then the same for any number of threads.
/// </summary>
/// <remarks>
/// A step of the trainer is microseconds of work, so the workers spin for a while between jobs before they sleep, and
/// an item is taken by whichever thread comes first (the caller takes every item if the workers are busy elsewhere or
/// asleep, so a job never waits for a worker to wake).
/// </remarks>
internal sealed class TrainingWorkers : IDisposable
{
    /// <summary>Spins of a waiting worker before it sleeps (a few tens of microseconds).</summary>
    private const int SpinsBeforeSleep = 2000;

    private readonly Thread[] _threads;
    private readonly object _gate = new();
    private Job? _job;
    private bool _disposed;

    /// <summary>Workers for <paramref name="threads"/> threads in all (the caller's and threads − 1 more).</summary>
    public TrainingWorkers(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _threads = new Thread[threads - 1];
        for (int t = 0; t < _threads.Length; t++)
        {
            _threads[t] = new Thread(Loop) { IsBackground = true, Name = $"GenBias trainer {t + 1}" };
            _threads[t].Start();
        }
    }

    /// <summary>The threads in all, the caller's included.</summary>
    public int Threads => _threads.Length + 1;

    /// <summary>Runs <paramref name="body"/> for every item 0 … <paramref name="count"/> − 1; rethrows the first exception.</summary>
    public void Run(int count, Action<int> body)
    {
        if (_threads.Length == 0 || count <= 1)
        {
            for (int i = 0; i < count; i++)
            {
                body(i);
            }

            return;
        }

        var job = new Job(body, count);
        Volatile.Write(ref _job, job);
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }

        job.Work();
        var spin = default(SpinWait);
        while (Volatile.Read(ref job.Done) < count)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }

        job.Error?.Throw();
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

    private void Loop()
    {
        Job? last = null;
        while (true)
        {
            Job? job = null;
            for (int spin = 0; spin < SpinsBeforeSleep; spin++)
            {
                job = Volatile.Read(ref _job);
                if (job != last || Volatile.Read(ref _disposed))
                {
                    break;
                }

                Thread.SpinWait(20);
            }

            lock (_gate)
            {
                while ((job = _job) == last && !_disposed)
                {
                    Monitor.Wait(_gate);
                }

                if (_disposed)
                {
                    return;
                }
            }

            last = job;
            job!.Work();
        }
    }

    /// <summary>One job: its items are claimed one at a time by whichever thread comes.</summary>
    private sealed class Job(Action<int> body, int count)
    {
        public int Next;
        public int Done;
        public ExceptionDispatchInfo? Error;

        public void Work()
        {
            int item;
            while ((item = Interlocked.Increment(ref Next) - 1) < count)
            {
                try
                {
                    body(item);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref Error, ExceptionDispatchInfo.Capture(e), null);
                }

                Interlocked.Increment(ref Done);
            }
        }
    }
}
