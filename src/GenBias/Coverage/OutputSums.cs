using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Threading;
using System.Threading.Tasks;

namespace GenBias;

/// <summary>
/// The output neuron's float pre-activation before its bias is added — s(x), the canonical tree of its partial sums —
/// for every input of the cube, gathered as a histogram of s's bits. Forward computes the output as f(fl(s(x) + b)),
/// and s(x) does not depend on the output bias b, so one enumeration answers the exact count for every bias: the
/// members of the preference's interval are ranges of pre-activations z (<see cref="NeuronMembership.FloatMembers"/>),
/// z = fl(s + b) is non-decreasing in s, so each range of z is a range of s, and the count is a difference of the
/// cumulative histogram at its two ends.
/// </summary>
/// <remarks>
/// <para>Memory stays small at any n: the first pass counts s in 2^20 coarse buckets of 4,096 adjacent floats each
/// (as ordered integers, <see cref="NeuronMembership.Ordered"/>); a count whose range ends fall inside a bucket is then
/// only bounded. A later pass counts every float of the few buckets the search needs (its "windows") exactly. Each pass
/// enumerates the whole cube (no pruning: every s is needed), with the first layer as exact integers on the grid and
/// the later layers in eight vector lanes by the canonical order (<see cref="CanonicalSum"/>), so the bits are
/// Forward's.</para>
/// <para>Assumptions, each checked: the first layer is on <see cref="FixedPointGrid"/> (the caller's
/// <see cref="CoverageCounter"/> checks); no s is NaN (a pass reports it, and the caller counts the old way);
/// fl(s + b) is non-decreasing in s for every float b (rounding is monotone; −0 orders below +0 on both sides).</para>
/// </remarks>
internal sealed class OutputSums
{
    /// <summary>Floats per coarse bucket: 2^12 adjacent ordered integers.</summary>
    internal const int BucketShift = 12;

    internal const int BucketWidth = 1 << BucketShift;

    internal const int Buckets = 1 << (32 - BucketShift);

    /// <summary>The most buckets one pass counts float by float (32 KB each, per thread).</summary>
    internal const int MaxWindowBuckets = 1024;

    private readonly Enumerator _enumerator;
    private readonly long[] _before = new long[Buckets + 1];   // inputs whose s lies in buckets below b
    private readonly Dictionary<int, long[]> _exact = [];          // bucket → inputs at or below each of its floats
    private readonly IProgress<CountProgress>? _progress;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _passesPlanned = 2;

    private OutputSums(Enumerator enumerator, IProgress<CountProgress>? progress)
    {
        _enumerator = enumerator;
        _progress = progress;
    }

    /// <summary>The inputs counted: 3^n.</summary>
    public long Total { get; private set; }

    /// <summary>Whole passes over the cube so far.</summary>
    public int Passes { get; private set; }

    /// <summary>Whether some s was NaN (then counts from this histogram are not Forward's).</summary>
    public bool SawNaN { get; private set; }

    /// <summary>
    /// Counts the coarse histogram of s over the cube of a network of <paramref name="shape"/> (first layer on the grid, a single
    /// output neuron, at least one hidden layer).
    /// </summary>
    public static OutputSums Count(NetworkShape shape, float[] parameters, int maxParallelism, IProgress<CountProgress>? progress, CancellationToken cancellationToken)
    {
        var sums = new OutputSums(new Enumerator(shape, parameters), progress);
        sums.Pass(null, maxParallelism, cancellationToken);
        return sums;
    }

    /// <summary>Seconds per input of one pass, measured on a few inner blocks.</summary>
    public static double MeasureSecondsPerInput(NetworkShape shape, float[] parameters)
    {
        var enumerator = new Enumerator(shape, parameters);
        var scratch = new Enumerator.Scratch(enumerator);
        enumerator.Sums(0, scratch);  // warm up
        long blocks = Math.Min(enumerator.OuterCombinations, Math.Max(1, 1_000_000 / enumerator.InnerCombinations));
        var clock = Stopwatch.StartNew();
        for (long outer = 0; outer < blocks; outer++)
        {
            enumerator.Sums(outer, scratch);
        }

        return clock.Elapsed.TotalSeconds / (blocks * enumerator.InnerCombinations);
    }

    /// <summary>
    /// Counts, float by float, every bucket in <paramref name="buckets"/> that is not yet exact (one more pass);
    /// false if there are more than <see cref="MaxWindowBuckets"/> of them.
    /// </summary>
    public bool Refine(IEnumerable<int> buckets, int maxParallelism, CancellationToken cancellationToken)
    {
        var wanted = new SortedSet<int>();
        foreach (int b in buckets)
        {
            if (!_exact.ContainsKey(b) && _before[b + 1] > _before[b])
            {
                wanted.Add(b);
            }
        }

        if (wanted.Count == 0)
        {
            return true;
        }

        if (wanted.Count > MaxWindowBuckets)
        {
            return false;
        }

        _passesPlanned = Math.Max(_passesPlanned, Passes + 1);
        Pass([.. wanted], maxParallelism, cancellationToken);
        return true;
    }

    /// <summary>The coarse bucket of an ordered key.</summary>
    public static int Bucket(long key) => (int)((key - int.MinValue) >> BucketShift);

    /// <summary>Bounds on the number of inputs whose s has an ordered key at most <paramref name="key"/>; exact when equal.</summary>
    public (long Low, long High) AtMost(long key)
    {
        if (key < int.MinValue)
        {
            return (0, 0);
        }

        if (key >= int.MaxValue)
        {
            return (Total, Total);
        }

        int bucket = Bucket(key);
        long low = _before[bucket], high = _before[bucket + 1];
        if (low == high)
        {
            return (low, low);
        }

        int offset = (int)(key - int.MinValue) & (BucketWidth - 1);
        if (offset == BucketWidth - 1)
        {
            return (high, high);
        }

        if (_exact.TryGetValue(bucket, out long[]? within))
        {
            return (low + within[offset], low + within[offset]);
        }

        return (low, high);
    }

    private void Pass(int[]? window, int maxParallelism, CancellationToken cancellationToken)
    {
        long outerTotal = _enumerator.OuterCombinations;
        int inner = _enumerator.InnerCombinations;
        int[] windowIndex = [];
        if (window is not null)
        {
            windowIndex = new int[Buckets];
            Array.Fill(windowIndex, -1);
            for (int w = 0; w < window.Length; w++)
            {
                windowIndex[window[w]] = w;
            }
        }

        long chunk = Math.Max(1, Math.Min(outerTotal / 256, Math.Max(1, 4_000_000 / inner)));
        long chunks = (outerTotal + chunk - 1) / chunk;
        long done = 0;
        int nan = 0;
        var merged = new long[window is null ? Buckets : window.Length * BucketWidth];
        object gate = new();
        long lastReport = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, maxParallelism), CancellationToken = cancellationToken };
        Parallel.For(0, chunks, parallel,
            () => (Scratch: new Enumerator.Scratch(_enumerator), Counts: new long[merged.Length]),
            (c, _, local) =>
            {
                long end = Math.Min(outerTotal, (c + 1) * chunk);
                for (long outer = c * chunk; outer < end; outer++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    ReadOnlySpan<int> keys = _enumerator.Sums(outer, local.Scratch).AsSpan(0, inner);
                    if (local.Scratch.SawNaN)
                    {
                        Interlocked.Exchange(ref nan, 1);
                    }

                    if (window is null)
                    {
                        foreach (int key in keys)
                        {
                            local.Counts[Bucket(key)]++;
                        }
                    }
                    else
                    {
                        foreach (int key in keys)
                        {
                            int w = windowIndex[Bucket(key)];
                            if (w >= 0)
                            {
                                local.Counts[(w << BucketShift) + ((key - int.MinValue) & (BucketWidth - 1))]++;
                            }
                        }
                    }
                }

                long finished = Interlocked.Increment(ref done);
                long now = _clock.ElapsedMilliseconds;
                if (_progress is not null && (now - Interlocked.Read(ref lastReport) >= 250 || finished == chunks))
                {
                    Interlocked.Exchange(ref lastReport, now);
                    long passDone = (Passes * 1000L) + (finished * 1000 / chunks);
                    _progress.Report(new CountProgress(passDone, _passesPlanned * 1000, _clock.Elapsed));
                }

                return local;
            },
            local =>
            {
                lock (gate)
                {
                    for (int i = 0; i < merged.Length; i++)
                    {
                        merged[i] += local.Counts[i];
                    }
                }
            });

        SawNaN |= nan != 0;
        Passes++;
        if (window is null)
        {
            for (int b = 0; b < Buckets; b++)
            {
                _before[b + 1] = _before[b] + merged[b];
            }

            Total = _before[Buckets];
            return;
        }

        for (int w = 0; w < window.Length; w++)
        {
            long[] atMost = new long[BucketWidth];
            long running = 0;
            for (int i = 0; i < BucketWidth; i++)
            {
                running += merged[(w << BucketShift) + i];
                atMost[i] = running;
            }

            _exact[window[w]] = atMost;
        }
    }

    /// <summary>
    /// s(x) for every input: the first n − m inputs (the outer index) fix integer first-layer accumulators, and the last
    /// m inputs' 3^m combinations run in vector lanes from a table of their first-layer sums.
    /// </summary>
    internal sealed class Enumerator
    {
        private const int MaxInner = 8;
        private readonly NetworkShape _shape;
        private readonly float[] _parameters;
        private readonly int _n, _inner, _lanes;
        private readonly int[][] _innerSums;     // [k][c]: first-layer neuron k's grid integer over the inner inputs of combination c
        private readonly int[][] _weights;       // [k][i]: first-layer weights as grid integers
        private readonly int[] _bias;            // [k]: first-layer bias as a grid integer

        public Enumerator(NetworkShape shape, float[] parameters)
        {
            _shape = shape;
            _parameters = parameters;
            _n = shape.InputCount;
            _inner = Math.Min(_n, MaxInner);
            InnerCombinations = (int)CoverageCounter.Pow3(_inner);
            OuterCombinations = CoverageCounter.Pow3(_n - _inner);
            _lanes = ShapeRules.PaddedToOctets(InnerCombinations);
            int width = shape.Layers[0].Width;
            _innerSums = new int[width][];
            _weights = new int[width][];
            _bias = new int[width];
            for (int k = 0; k < width; k++)
            {
                (int[] w, long b) = CoverageCounter.FirstLayerIntegers(shape, parameters, k);
                _weights[k] = w;
                _bias[k] = (int)b;
                int[] sums = new int[_lanes];
                for (int c = 0; c < InnerCombinations; c++)
                {
                    int rest = c, sum = 0;
                    for (int i = _n - _inner; i < _n; i++)
                    {
                        sum += ((rest % 3) - 1) * w[i];
                        rest /= 3;
                    }

                    sums[c] = sum;
                }

                _innerSums[k] = sums;
            }
        }

        public int InnerCombinations { get; }

        public long OuterCombinations { get; }

        /// <summary>The ordered keys of s for the inner combinations of outer combination <paramref name="outer"/> (the first <see cref="InnerCombinations"/> entries).</summary>
        public int[] Sums(long outer, Scratch scratch)
        {
            LayerShape first = _shape.Layers[0];
            int[] acc = scratch.Accumulators;
            for (int k = 0; k < first.Width; k++)
            {
                long rest = outer;
                int sum = _bias[k];
                int[] w = _weights[k];
                for (int i = 0; i < _n - _inner; i++)
                {
                    sum += (int)((rest % 3) - 1) * w[i];
                    rest /= 3;
                }

                acc[k] = sum;
            }

            scratch.SawNaN = false;
            Vector256<float> step = Vector256.Create(FixedPointGrid.Step);
            Vector256<float>[][] a = scratch.Activations;
            Span<Vector256<float>> p = stackalloc Vector256<float>[ShapeRules.PartialSums];
            Vector256<int> nan = Vector256<int>.Zero;
            for (int c = 0; c < _lanes; c += 8)
            {
                Vector256<float>[] a0 = a[0];
                for (int k = 0; k < first.Width; k++)
                {
                    Vector256<int> z = Vector256.Create(acc[k]) + Vector256.LoadUnsafe(ref _innerSums[k][0], (nuint)c);
                    a0[k] = ActivationMath.Apply(first.Activation, Vector256.ConvertToSingle(z) * step);
                }

                Vector256<float> s = default;
                for (int l = 1; l < _shape.Layers.Length; l++)
                {
                    LayerShape layer = _shape.Layers[l];
                    Vector256<float>[] below = a[l - 1];
                    bool output = l == _shape.Layers.Length - 1;
                    for (int k = 0; k < layer.Width; k++)
                    {
                        p.Clear();
                        int at = layer.WeightIndex(k, 0);
                        for (int j = 0; j < layer.InputCount; j++)
                        {
                            p[j & 7] = Vector256.FusedMultiplyAdd(below[j], Vector256.Create(_parameters[at + j]), p[j & 7]);
                        }

                        Vector256<float> tree = CanonicalSum.Tree(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
                        if (output)
                        {
                            s = tree;
                        }
                        else
                        {
                            a[l][k] = ActivationMath.Apply(layer.Activation, tree + Vector256.Create(_parameters[layer.BiasIndex(k)]));
                        }
                    }
                }

                nan |= ~Vector256.Equals(s, s).AsInt32();
                Vector256<int> bits = s.AsInt32();
                Vector256<int> key = bits ^ (Vector256.ShiftRightArithmetic(bits, 31) & Vector256.Create(0x7FFFFFFF));
                key.StoreUnsafe(ref scratch.Keys[0], (nuint)c);
            }

            // Lanes past the last combination (padding) hold sums of combinations that do not exist; they are ignored,
            // but a NaN there is not Forward's, so only real lanes are checked.
            if (nan != Vector256<int>.Zero)
            {
                for (int c = 0; c < InnerCombinations; c++)
                {
                    float value = NeuronMembership.FromOrdered(scratch.Keys[c]);
                    scratch.SawNaN |= float.IsNaN(value);
                }
            }

            return scratch.Keys;
        }

        /// <summary>One thread's buffers.</summary>
        internal sealed class Scratch
        {
            public Scratch(Enumerator e)
            {
                Accumulators = new int[e._shape.Layers[0].Width];
                Activations = new Vector256<float>[e._shape.Layers.Length][];
                for (int l = 0; l < e._shape.Layers.Length; l++)
                {
                    Activations[l] = new Vector256<float>[e._shape.Layers[l].Width];
                }

                Keys = new int[e._lanes];
            }

            public int[] Accumulators { get; }

            public Vector256<float>[][] Activations { get; }

            public int[] Keys { get; }

            public bool SawNaN { get; set; }
        }
    }
}
