using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace GenBias;

/// <summary>
/// Counts exactly how many of the 3^n inputs meet a preference, agreeing bit for bit with the generated
/// <c>Forward</c>: meet in the middle for first-layer neurons, otherwise enumeration with a ternary Gray code over
/// integer first-layer accumulators, SIMD activations, interval-bound pruning, threads over disjoint sub-cubes, and a
/// resumable checkpoint. The first layer must be on <see cref="FixedPointGrid"/> (the trainer keeps it there):
/// that is what makes every order of summation give the bits of Forward.
/// </summary>
public static partial class CoverageCounter
{
    /// <summary>The most inputs counted exactly by enumeration or meet in the middle.</summary>
    public const int MaxInputs = 32;

    /// <summary>
    /// The most inputs a first-layer neuron's preference is counted exactly: meet in the middle up to
    /// <see cref="MaxInputs"/>, then the histogram of the neuron's sum over the cube, whose counts are exact integers
    /// while 3^n &lt; 2^63. Wider first-layer neurons are certified by an interval (<see cref="CountMethod.CertifiedInterval"/>).
    /// </summary>
    public const int FirstLayerExactMaxInputs = CubeHistogram.ExactMaxInputs;

    /// <summary>Counts the inputs of the uniform cube whose activations meet <paramref name="preference"/>'s interval.</summary>
    /// <remarks>
    /// A first-layer neuron (with <see cref="CountOptions.AllowMeetInTheMiddle"/>) is counted by meet in the middle up
    /// to <see cref="MaxInputs"/> inputs and by the histogram of its sum up to <see cref="FirstLayerExactMaxInputs"/>.
    /// </remarks>
    /// <exception cref="ArgumentException">The preference is not over the uniform cube, or the network has more than <see cref="MaxInputs"/> inputs (<see cref="FirstLayerExactMaxInputs"/> for a first-layer neuron).</exception>
    /// <exception cref="InvalidOperationException">The first layer is not on the grid.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; finished sub-cubes are in the checkpoint, if one is kept.</exception>
    public static CountResult Count(ITernaryNetwork network, Preference preference, CountOptions? options = null,
        IProgress<CountProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preference);
        options ??= new CountOptions();
        options.Validate();
        NetworkShape shape = network.Shape;
        bool firstLayer = options.AllowMeetInTheMiddle && preference.ResolveLayer(shape) == 0;
        float[] parameters = Countable(network, preference, shape.InputCount, firstLayer ? FirstLayerExactMaxInputs : MaxInputs);

        var clock = Stopwatch.StartNew();
        int layerIndex = preference.ResolveLayer(shape);
        LayerShape layer = shape.Layers[layerIndex];
        int[] neurons = preference.Neuron is int single ? [single] : [.. Enumerable.Range(0, layer.Width)];
        long cube = Pow3(shape.InputCount);
        if (cube > long.MaxValue / neurons.Length)
        {
            throw new CountRefusedException(string.Create(CultureInfo.InvariantCulture,
                $"3^{shape.InputCount} inputs × {neurons.Length} neurons is beyond a 64-bit count; certify the neurons one by one, or by a certified interval (Certifier)"));
        }

        long total = cube * neurons.Length;
        if (firstLayer)
        {
            // Meet in the middle up to MaxInputs; beyond, the histogram of the sum, exact up to FirstLayerExactMaxInputs.
            bool histogram = shape.InputCount > MaxInputs;
            long[] counts = new long[neurons.Length];
            Parallel.For(0, neurons.Length, new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelism, CancellationToken = cancellationToken }, i =>
            {
                (int[] weights, long bias) = FirstLayerIntegers(shape, parameters, neurons[i]);
                counts[i] = histogram
                    ? CubeHistogram.Create(weights, cancellationToken).Count(bias, layer.Activation, preference.Interval, cancellationToken)
                    : MeetInTheMiddle.Count(weights, bias, layer.Activation, preference.Interval, cancellationToken);
            });
            progress?.Report(new CountProgress(1, 1, clock.Elapsed));
            return new CountResult(counts.Sum(), total, histogram ? CountMethod.CubeHistogram : CountMethod.MeetInTheMiddle, clock.Elapsed, 0);
        }

        var enumerator = new LayeredEnumerator(shape, parameters, preference, neurons, options);
        (long counted, long decided, long restored) = enumerator.Run(progress, clock, cancellationToken);
        return new CountResult(counted, total, CountMethod.Enumeration, clock.Elapsed, (double)decided / cube) { SubCubesRestored = restored };
    }

    /// <summary>
    /// Whether an exact count takes milliseconds: a first-layer neuron (meet in the middle) or a cube of at most
    /// 3^12 inputs, over the uniform cube, with the first layer on the grid. Needs no timing.
    /// </summary>
    public static bool IsCheap(ITernaryNetwork network, Preference preference)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preference);
        NetworkShape shape = network.Shape;
        return preference.Distribution == PreferenceDistribution.UniformCube && shape.InputCount <= MaxInputs &&
               (preference.ResolveLayer(shape) == 0 || shape.InputCount <= 12) &&
               FixedPointGrid.IsFirstLayerOnGrid(shape, network.Parameters);
    }

    /// <summary>
    /// Seconds per input of plain enumeration (no pruning), timed on one sub-cube of 3^<paramref name="freeInputs"/>
    /// inputs with the rest fixed at 0 (the median of three timings after a warm-up): the basis of a projected count time.
    /// </summary>
    public static double MeasureSecondsPerInput(ITernaryNetwork network, Preference preference, int freeInputs)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preference);
        NetworkShape shape = network.Shape;
        int n = shape.InputCount;
        int free = Math.Min(freeInputs, n);
        float[] parameters = network.Parameters.ToArray();
        int layerIndex = preference.ResolveLayer(shape);
        int[] neurons = preference.Neuron is int single ? [single] : [.. Enumerable.Range(0, shape.Layers[layerIndex].Width)];
        var enumerator = new LayeredEnumerator(shape, parameters, preference,
            neurons, new CountOptions { Prune = false, LeafFreeInputs = free, SplitDepth = n - free, MaxParallelism = 1 });
        // Small sub-cubes first, twice with a pause: a real count calls the leaf tens of thousands of times, so the
        // runtime recompiles it optimised (tiered compilation); a single long call would time unoptimised code.
        var warm = new LayeredEnumerator(shape, parameters, preference, neurons,
            new CountOptions { Prune = false, LeafFreeInputs = Math.Min(free, 6), SplitDepth = n - Math.Min(free, 6), MaxParallelism = 1 });
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < 64; i++)
            {
                warm.CountOneSubCube(i);
            }

            Thread.Sleep(200);
        }

        // The timed sub-cube itself once untimed (its own loops reach optimised code), then the median of three: one
        // timing of a few milliseconds is at the mercy of a preempted thread or a late recompilation.
        long middle = CoverageCounter.Pow3(n - free) / 2;
        enumerator.CountOneSubCube(middle);
        Thread.Sleep(200);
        double[] seconds = new double[3];
        for (int round = 0; round < seconds.Length; round++)
        {
            var clock = Stopwatch.StartNew();
            enumerator.CountOneSubCube(middle);
            seconds[round] = clock.Elapsed.TotalSeconds;
        }

        Array.Sort(seconds);
        return seconds[1] / Pow3(free);
    }

    /// <summary>
    /// A hash of the activation math version, the shape and the parameter bits, naming the network a count or
    /// certificate belongs to: the same parameters evaluated under another <see cref="ActivationMath.Version"/> are
    /// another network.
    /// </summary>
    public static string NetworkHash(ITernaryNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        byte[] shape = System.Text.Encoding.UTF8.GetBytes($"activation math {ActivationMath.Version}\n{network.Shape}");
        byte[] bits = new byte[network.Parameters.Length * 4];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(network.Parameters).CopyTo(bits);
        return Convert.ToHexString(SHA256.HashData([.. shape, .. bits]))[..16].ToLowerInvariant();
    }

    /// <summary>
    /// The checks every exact count makes (a valid preference over the uniform cube, at most <paramref name="maxInputs"/>
    /// (<see cref="MaxInputs"/> unless a first-layer neuron's) inputs left to count, the first layer on the grid);
    /// returns a copy of the parameters.
    /// </summary>
    internal static float[] Countable(ITernaryNetwork network, Preference preference, int inputsCounted, int maxInputs = MaxInputs)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preference);
        NetworkShape shape = network.Shape;
        preference.Validate(shape);
        if (preference.Distribution != PreferenceDistribution.UniformCube)
        {
            throw new ArgumentException($"{preference}: exact counts are over the uniform cube; estimate other distributions with RateEstimator.", nameof(preference));
        }

        if (inputsCounted > maxInputs)
        {
            throw new ArgumentException(
                $"{shape}: {inputsCounted} inputs to count; exact counting handles up to {MaxInputs} ({FirstLayerExactMaxInputs} for a first-layer neuron). " +
                "Certify a wider first-layer neuron by a certified interval (Certifier.Certify); estimate the rest with RateEstimator.", nameof(network));
        }

        float[] parameters = network.Parameters.ToArray();
        if (!FixedPointGrid.IsFirstLayerOnGrid(shape, parameters))
        {
            throw new InvalidOperationException(
                "The first layer is not on FixedPointGrid, so the order of summation changes the bits and no count can be exact; call FixedPointGrid.SnapFirstLayer (the trainer does).");
        }

        return parameters;
    }

    internal static long Pow3(int k)
    {
        long p = 1;
        for (int i = 0; i < k; i++)
        {
            p = checked(p * 3);
        }

        return p;
    }

    /// <summary>Neuron k of the first layer as exact integers in units of 2^-16.</summary>
    internal static (int[] Weights, long Bias) FirstLayerIntegers(NetworkShape shape, float[] parameters, int k)
    {
        LayerShape first = shape.Layers[0];
        int[] weights = new int[first.InputCount];
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = FixedPointGrid.ToUnits(parameters[first.WeightIndex(k, i)]);
        }

        return (weights, FixedPointGrid.ToUnits(parameters[first.BiasIndex(k)]));
    }
}
