using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GenBias;

/// <summary>
/// The data-parallel pass: fixed shards of a pass's rows, each with its own gradient sums, run on the threads'
/// replicas of the parameters and tables; a step's update applied by every replica to its own copy.
/// </summary>
internal sealed partial class TrainingKernel
{
    /// <summary>
    /// Shards of every pass, whatever the number of threads: thread t of T runs shards t, t + T, … (with two, each of two
    /// threads one shard; a third thread has none).
    /// </summary>
    public const int Shards = 2;

    /// <summary>A shard's gradient sums: the first layer's histogram and its columns (then the biases), later layers' sums.</summary>
    private sealed class Sums((float[] Array, int At) histogram, float[] columns, float[][] weights, float[][] biases)
    {
        /// <summary>The histogram, shaped like the tables, from <see cref="HistogramAt"/> on (a 64-byte boundary).</summary>
        public float[] Histogram { get; } = histogram.Array;

        public int HistogramAt { get; } = histogram.At;

        public float[] Columns { get; } = columns;

        public float[][] Weights { get; } = weights;

        public float[][] Biases { get; } = biases;
    }

    private enum Job : byte
    {
        Forward,
        Backward,
        Pass,
        Columns,
    }

    // Master only: the shards' sums (two sets: a step writes one while the replicas read the previous step's from the
    // other), the replicas by thread (0: the master), the pass's layout and the committed parameter versions.
    private readonly Sums[][] _shardSums;
    private int _parity;
    private TrainingKernel?[] _replicas = [];
    private readonly Action<int, int> _shardJob;
    private readonly Action<int> _prepareReplicas;
    private Job _job;
    private bool _last, _clearSums;
    private int _segments = 1;
    private int[] _pieceFrom = new int[Shards], _pieceTo = new int[Shards], _pieceAt = new int[Shards];
    private readonly int[] _shardStart = new int[Shards + 1];
    private byte[] _jobCodes = [];   // master: the job's codes read in place, or none where each shard copies its own
    private byte[] _ownCodes = [];   // a replica's copy of its shards' codes, where a pass copies them (rows in the scratch's order)
    private long _committed;     // parameter versions: each step the kernel updates, each SetParameters
    private bool _lastIsStep;    // the last version is a step (its replicas apply it from the sums), not a set
    private OptimizerStep _stepOptimizer;

    // Every replica (the master included): its master and the version its parameters are at.
    private TrainingKernel _master;
    private long _version;
    private bool _tablesStale;

    /// <summary>A replica of <paramref name="master"/>: its own parameters, moments and tables (the master's values then).</summary>
    private TrainingKernel(TrainingKernel master)
        : this(master._shape, master)
    {
        CopyFrom(master);
    }

    /// <summary>A set of sums for every shard; the histograms of <paramref name="histograms"/> where given (a shard's histogram is its own only while its pass runs).</summary>
    private Sums[] NewSums(Sums[]? histograms = null)
    {
        var sums = new Sums[Shards];
        for (int s = 0; s < Shards; s++)
        {
            int layers = _stride.Length;
            float[][] weights = new float[layers][], biases = new float[layers][];
            for (int l = 1; l < layers; l++)
            {
                weights[l] = new float[_rows[l].Length];
                biases[l] = new float[_stride[l]];
            }

            sums[s] = new Sums(histograms is null ? Aligned(_tables.Length - 16) : (histograms[s].Histogram, histograms[s].HistogramAt), new float[_firstGradient.Length], weights, biases);
        }

        return sums;
    }

    /// <summary>
    /// Cuts a pass of <paramref name="rows"/> rows into the shards: segment k (rows ends[k − 1] … ends[k] − 1, the
    /// first from 0) in <see cref="Shards"/> equal parts, shard s taking part s of each; a shard's rows lie together in
    /// the scratch (activations, gradients), shard after shard, each in row order — for one segment, row r at row r.
    /// </summary>
    private void Layout(int rows, int[]? ends, int segments)
    {
        if (ends is null)
        {
            segments = 1;
        }

        Set(ref _segments, segments);
        if (_pieceFrom.Length < Shards * segments)
        {
            _pieceFrom = new int[Shards * segments];
            _pieceTo = new int[Shards * segments];
            _pieceAt = new int[Shards * segments];
        }

        int at = 0;
        for (int s = 0; s < Shards; s++)
        {
            Set(ref _shardStart[s], at);
            for (int k = 0, begin = 0; k < segments; k++)
            {
                int end = ends is null ? rows : ends[k], length = end - begin, i = (s * segments) + k;
                int from = begin + (int)((long)length * s / Shards), to = begin + (int)((long)length * (s + 1) / Shards);
                // Written only where changed: the workers read the layout, and a line left alone is not fetched again.
                Set(ref _pieceFrom[i], from);
                Set(ref _pieceTo[i], to);
                Set(ref _pieceAt[i], at);
                at += to - from;
                begin = end;
            }
        }

        Set(ref _shardStart[Shards], at);
        ArgumentOutOfRangeException.ThrowIfNotEqual(at, rows, nameof(rows));
    }

    /// <summary>Writes <paramref name="value"/> only where it differs (a field or element other threads read).</summary>
    private static void Set<T>(ref T field, T value)
    {
        if (!System.Collections.Generic.EqualityComparer<T>.Default.Equals(field, value))
        {
            field = value;
        }
    }

    /// <summary>Runs the job's shards on the workers, or on the calling thread alone (the same bits).</summary>
    private void RunShards(Job job, byte[] codes, int rows)
    {
        Set(ref _job, job);
        // One segment read in place; else each shard copies its rows' codes into its replica's own buffer.
        Set(ref _jobCodes, _segments == 1 && _gatherCodes is null ? codes : []);

        Set(ref _sourceCodes, codes);
        if (Workers is { Threads: > 1 } workers && rows >= 2 * MinShardRows)
        {
            workers.Run(Shards, _shardJob, _prepareReplicas);
        }
        else
        {
            for (int s = 0; s < Shards; s++)
            {
                ShardJob(s, 0);
            }
        }
    }

    /// <summary>Rows per shard below which a pass stays on the calling thread (handing it over costs more than it saves).</summary>
    private const int MinShardRows = 8;

    private byte[] _sourceCodes = [];
    private byte[]? _gatherCodes;  // where the first segment's rows are gathered from (Pass's gather), or null
    private int[] _gatherRows = [];
    private int _gatherStart;

    /// <summary>Shard <paramref name="shard"/> of the job in progress on <paramref name="thread"/>'s replica.</summary>
    private void ShardJob(int shard, int thread)
    {
        TrainingKernel replica = thread == 0 ? this : _replicas[thread]!;
        replica.Sync();
        Set(ref replica._z, _z);
        Set(ref replica._a, _a);
        Set(ref replica._g, _g);
        Set(ref replica._zAt, _zAt);
        Set(ref replica._aAt, _aAt);
        Set(ref replica._gAt, _gAt);

        int start = _shardStart[shard], end = _shardStart[shard + 1];
        if (start == end)
        {
            return;
        }

        Sums sums = _shardSums[_parity][shard];
        if (_jobCodes != _sourceCodes && _job is Job.Forward or Job.Pass)
        {
            // The shard's codes, piece by piece, where its rows lie in the scratch, in the replica's own buffer (no
            // cache line shared with another shard's): the first segment's gathered from the rows it names where a
            // pass gathers them.
            if (replica._ownCodes.Length < _shardStart[Shards] * _chunks)
            {
                replica._ownCodes = new byte[_shardStart[Shards] * _chunks];
            }

            byte[] own = replica._ownCodes;
            for (int k = 0; k < _segments; k++)
            {
                int i = (shard * _segments) + k, from = _pieceFrom[i], count = _pieceTo[i] - from;
                if (k == 0 && _gatherCodes is { } gather)
                {
                    CopyRows(gather, _chunks, _gatherRows.AsSpan(_gatherStart + from, count), own.AsSpan(_pieceAt[i] * _chunks));
                }
                else
                {
                    _sourceCodes.AsSpan(from * _chunks, count * _chunks).CopyTo(own.AsSpan(_pieceAt[i] * _chunks));
                }
            }

            Set(ref replica._passCodes, own);
        }
        else
        {
            Set(ref replica._passCodes, _jobCodes);
        }

        switch (_job)
        {
            case Job.Forward:
                replica.ForwardRows(start, end);
                if (_passGradients is { } after)
                {
                    for (int k = 0; k < _segments; k++)
                    {
                        int i = (shard * _segments) + k;
                        if (_pieceFrom[i] < _pieceTo[i])
                        {
                            after(_pieceFrom[i], _pieceTo[i], _pieceAt[i]);
                        }
                    }
                }

                break;
            case Job.Backward:
                replica.DeltaRows(start, end);
                replica.SumShard(sums, start, end, _last);
                break;
            case Job.Pass:
                if (_clearSums)
                {
                    ClearSums(sums);
                }

                replica.ForwardRows(start, end);
                TrainingProfile.Lap(TrainingProfile.Phase.Forward);
                _g.AsSpan(_gAt + (start * RowStride), (end - start) * RowStride).Clear();
                for (int k = 0; k < _segments; k++)
                {
                    int i = (shard * _segments) + k;
                    if (_pieceFrom[i] < _pieceTo[i])
                    {
                        _passGradients!(_pieceFrom[i], _pieceTo[i], _pieceAt[i]);
                    }
                }

                TrainingProfile.Lap(TrainingProfile.Phase.RowGradients);
                replica.DeltaRows(start, end);
                TrainingProfile.Lap(TrainingProfile.Phase.Deltas);
                replica.SumShard(sums, start, end, _last);
                TrainingProfile.Lap(TrainingProfile.Phase.GradientSums);
                break;
            default:
                replica.ShardColumns(sums);
                break;
        }
    }

    /// <summary>Clears a shard's later-layer sums (the histogram is cleared as its columns are found).</summary>
    private static void ClearSums(Sums sums)
    {
        for (int l = 1; l < sums.Weights.Length; l++)
        {
            Array.Clear(sums.Weights[l]);
            Array.Clear(sums.Biases[l]);
        }
    }

    /// <summary>
    /// Before a job on the workers (master): every replica that may run (threads 1 … slots − 1) is made, and brought to
    /// the master's parameters where it is more than one step behind (a thread that ran no shard for a while).
    /// </summary>
    private void PrepareReplicas(int slots)
    {
        if (_replicas.Length < slots)
        {
            Array.Resize(ref _replicas, slots);
        }

        for (int t = 1; t < slots; t++)
        {
            TrainingKernel? replica = _replicas[t];
            if (replica is null)
            {
                Sync();
                _replicas[t] = new TrainingKernel(this);
            }
            else if (replica._version != _committed && !(replica._version == _committed - 1 && _lastIsStep))
            {
                Sync();
                replica.CopyFrom(this);
            }
        }
    }

    /// <summary>Takes <paramref name="master"/>'s parameters, moments and version; the tables are rebuilt on the replica's own thread.</summary>
    private void CopyFrom(TrainingKernel master)
    {
        master._bias0.AsSpan().CopyTo(_bias0);
        master._firstColumns.AsSpan().CopyTo(_firstColumns);
        for (int l = 1; l < _stride.Length; l++)
        {
            master._rows[l].AsSpan().CopyTo(_rows[l]);
            master._columns[l].AsSpan().CopyTo(_columns[l]);
            master._biases[l].AsSpan().CopyTo(_biases[l]);
        }

        if (master._firstMoment1.Length > 0)
        {
            if (_firstMoment1.Length == 0)
            {
                KeepMoments(master._weightDecay);
            }

            _weightDecay = master._weightDecay;
            master._firstMoment1.AsSpan().CopyTo(_firstMoment1);
            master._firstMoment2.AsSpan().CopyTo(_firstMoment2);
            for (int l = 1; l < _stride.Length; l++)
            {
                master._rowMoment1[l].AsSpan().CopyTo(_rowMoment1[l]);
                master._rowMoment2[l].AsSpan().CopyTo(_rowMoment2[l]);
                master._biasMoment1[l].AsSpan().CopyTo(_biasMoment1[l]);
                master._biasMoment2[l].AsSpan().CopyTo(_biasMoment2[l]);
            }
        }

        _version = master._version;
        _tablesStale = true;
    }

    /// <summary>
    /// Brings this replica (on the thread that uses it) to the master's parameters: at most one step behind (the master
    /// sees to it), it applies that step from the shards' sums as every replica does; then rebuilds stale tables.
    /// </summary>
    private void Sync()
    {
        TrainingKernel master = _master;
        if (_version != master._committed)
        {
            ApplyStep(master._shardSums[master._parity ^ 1], master._stepOptimizer);
            _version = master._committed;
        }

        if (_tablesStale)
        {
            for (int c = 0; c < _chunks; c++)
            {
                BuildTables(c, 0, _stride[0]);
            }

            _tablesStale = false;
        }
    }

    /// <summary>A new version of the parameters set on the master (its replicas copy them before they next run).</summary>
    private void CommitSet()
    {
        _version = ++_committed;
        _lastIsStep = false;
    }

    /// <summary>A step's update committed (master): every replica applies it from these shards' sums before it next runs.</summary>
    private void CommitStep()
    {
        _stepOptimizer = _nextOptimizer;
        _committed++;
        _lastIsStep = true;
        _parity ^= 1;
    }

    /// <summary>
    /// The step's gradient, the shards' sums added in shard order (((s0 + s1) + s2) + …), into this replica's
    /// <see cref="_firstGradient"/>, <see cref="_weightGradient"/> and <see cref="_biasGradient"/>.
    /// </summary>
    private void Total(Sums[] shards)
    {
        AddShards(shards[0].Columns, shards, 0, _firstGradient);
        for (int l = 1; l < _stride.Length; l++)
        {
            AddShards(shards[0].Weights[l], shards, l, _weightGradient[l]);
            AddShards(shards[0].Biases[l], shards, -l, _biasGradient[l]);
        }
    }

    /// <summary>Shard 0's <paramref name="first"/> plus each later shard's same part (the first layer's columns for 0, layer l's weights for l, its biases for −l).</summary>
    private static void AddShards(float[] first, Sums[] shards, int part, float[] total)
    {
        first.AsSpan().CopyTo(total);
        ref float t = ref MemoryMarshal.GetArrayDataReference(total);
        for (int s = 1; s < shards.Length; s++)
        {
            float[] other = part == 0 ? shards[s].Columns : part > 0 ? shards[s].Weights[part] : shards[s].Biases[-part];
            ref float x = ref MemoryMarshal.GetArrayDataReference(other);
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; i <= total.Length - 16; i += 16)
                {
                    (Vector512.LoadUnsafe(ref t, (nuint)i) + Vector512.LoadUnsafe(ref x, (nuint)i)).StoreUnsafe(ref t, (nuint)i);
                }
            }

            for (; i <= total.Length - 8; i += 8)
            {
                (Vector256.LoadUnsafe(ref t, (nuint)i) + Vector256.LoadUnsafe(ref x, (nuint)i)).StoreUnsafe(ref t, (nuint)i);
            }

            for (; i < total.Length; i++)
            {
                Unsafe.Add(ref t, i) += Unsafe.Add(ref x, i);
            }
        }
    }
}
