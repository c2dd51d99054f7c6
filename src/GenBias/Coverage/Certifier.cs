using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;

namespace GenBias;

/// <summary>Settings of <see cref="Certifier.Certify"/>.</summary>
public sealed record CertifyOptions
{
    /// <summary>Count exactly when the projected time is within this; otherwise estimate.</summary>
    public TimeSpan ExactTimeBudget { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Samples of an estimate.</summary>
    public int Samples { get; init; } = 1_000_000;

    /// <summary>The confidence of an estimate's interval.</summary>
    public double Confidence { get; init; } = 0.999;

    /// <summary>The seed of an estimate's samples.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Options of the exact count.</summary>
    public CountOptions Count { get; init; } = new();
}

/// <summary>
/// Certifies a preference: exactly where the count fits the time budget; a preference on first-layer neurons too wide
/// to count exactly by a certified interval; otherwise by a labelled estimate.
/// </summary>
public static class Certifier
{
    /// <summary>
    /// Counts or estimates <paramref name="preference"/> for <paramref name="network"/> and says whether it holds. For a
    /// valid preference this does not throw (other than for cancellation): where no exact count is possible or
    /// affordable it estimates, and the certificate's <see cref="Certificate.Reason"/> says why.
    /// </summary>
    /// <remarks>
    /// A preference over the uniform cube on first-layer neurons (with the first layer on the grid and
    /// <see cref="CountOptions.AllowMeetInTheMiddle"/>) is counted exactly up to
    /// <see cref="CoverageCounter.FirstLayerExactMaxInputs"/> inputs (meet in the middle, then
    /// <see cref="CountMethod.CubeHistogram"/>); beyond, or where 3^n times its neurons is beyond a 64-bit count, it is
    /// certified by an interval the true rate lies in (<see cref="CountMethod.CertifiedInterval"/>, about 10^-12 of the
    /// rate wide at 784 inputs). These take seconds per neuron at most and are not held to the time budget.
    /// </remarks>
    /// <exception cref="ArgumentException">The preference does not fit the network.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static Certificate Certify(ITernaryNetwork network, Preference preference, CertifyOptions? options = null,
        IProgress<CountProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preference);
        options ??= new CertifyOptions();
        options.Count.Validate();
        NetworkShape shape = network.Shape;
        preference.Validate(shape);
        (double lo, double hi) = preference.Bounds;
        string hash = CoverageCounter.NetworkHash(network);
        string? reason;
        try
        {
            if (FirstLayerCertifiable(network, preference, options.Count) && !ExactlyCountable(shape, preference))
            {
                var interval = Stopwatch.StartNew();
                (double lower, double upper) = CoverageCounter.FirstLayerBounds(network, preference, options.Count.MaxParallelism, cancellationToken);
                return Certificate.FromInterval(network, preference, lower, upper, interval.Elapsed);
            }

            double? projected = ProjectedSeconds(network, preference, options.Count);
            reason = projected switch
            {
                null => WhyNotExact(network, preference),
                double seconds when seconds > options.ExactTimeBudget.TotalSeconds => string.Create(CultureInfo.InvariantCulture,
                    $"an exact count was projected to take {seconds:N0} s, beyond the budget of {options.ExactTimeBudget.TotalSeconds:N0} s"),
                _ => null,
            };
            if (reason is null)
            {
                return Certificate.FromCount(network, preference, CoverageCounter.Count(network, preference, options.Count, progress, cancellationToken));
            }
        }
        catch (CountRefusedException refused)
        {
            reason = refused.Message;
        }

        var clock = Stopwatch.StartNew();
        RateInterval rate = RateEstimator.Estimate(network, preference, options.Samples, options.Confidence, options.Seed);
        return new Certificate
        {
            NetworkHash = hash, Shape = shape.ToString(), MathVersion = ActivationMath.Version, Preference = preference.ToString(), Exact = false, Method = CountMethod.Estimate,
            Count = rate.Successes, Total = rate.Trials, Confidence = options.Confidence, Lower = rate.Lower, Upper = rate.Upper,
            Met = rate.Lower >= lo && rate.Upper <= hi, Seconds = clock.Elapsed.TotalSeconds, Reason = reason,
        };
    }

    /// <summary>Whether the preference is on first-layer neurons over the cube, with the first layer on the grid: counted from each neuron's sum.</summary>
    private static bool FirstLayerCertifiable(ITernaryNetwork network, Preference preference, CountOptions options) =>
        options.AllowMeetInTheMiddle && preference.Distribution == PreferenceDistribution.UniformCube && preference.ResolveLayer(network.Shape) == 0 &&
        FixedPointGrid.IsFirstLayerOnGrid(network.Shape, network.Parameters);

    /// <summary>Whether a first-layer preference's count is exact: up to FirstLayerExactMaxInputs inputs, with 3^n times its neurons a 64-bit count.</summary>
    private static bool ExactlyCountable(NetworkShape shape, Preference preference)
    {
        if (shape.InputCount > CoverageCounter.FirstLayerExactMaxInputs)
        {
            return false;
        }

        long neurons = preference.Neuron is null ? shape.Layers[0].Width : 1;
        return CoverageCounter.Pow3(shape.InputCount) <= long.MaxValue / neurons;
    }

    /// <summary>Why no exact count is possible (the conditions <see cref="ProjectedSeconds"/> returns null for).</summary>
    private static string WhyNotExact(ITernaryNetwork network, Preference preference)
    {
        NetworkShape shape = network.Shape;
        return preference.Distribution != PreferenceDistribution.UniformCube
            ? $"the preference is over {preference.Distribution}, and exact counts are over the uniform cube"
            : !FixedPointGrid.IsFirstLayerOnGrid(shape, network.Parameters)
                ? "the first layer is not on the fixed-point grid (FixedPointGrid), so no order of summation is exact"
                : $"{shape.InputCount} inputs; exact counts handle up to {CoverageCounter.MaxInputs} (first-layer neurons: {CoverageCounter.FirstLayerExactMaxInputs} exactly, any width by a certified interval)";
    }

    /// <summary>
    /// The projected seconds of an exact count, or null if none is possible (another distribution, too many
    /// inputs, a first layer off the grid). A first-layer neuron's count (meet in the middle up to
    /// <see cref="CoverageCounter.MaxInputs"/> inputs, its sum's histogram up to
    /// <see cref="CoverageCounter.FirstLayerExactMaxInputs"/>) is taken as instant; enumeration is timed on a sample.
    /// </summary>
    public static double? ProjectedSeconds(ITernaryNetwork network, Preference preference, CountOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preference);
        options ??= new CountOptions();
        NetworkShape shape = network.Shape;
        if (FirstLayerCertifiable(network, preference, options))
        {
            return ExactlyCountable(shape, preference) ? 0 : null;
        }

        if (preference.Distribution != PreferenceDistribution.UniformCube || shape.InputCount > CoverageCounter.MaxInputs ||
            !FixedPointGrid.IsFirstLayerOnGrid(shape, network.Parameters))
        {
            return null;
        }

        // Time the plain enumeration of a 3^12 sub-cube and scale to 3^n over the threads (pruning only helps).
        long cube = CoverageCounter.Pow3(shape.InputCount);
        if (shape.InputCount <= 10)
        {
            return 0;
        }

        double perInput = CoverageCounter.MeasureSecondsPerInput(network, preference, Math.Min(12, shape.InputCount));
        return perInput * cube / Math.Max(1, Math.Min(options.MaxParallelism, Environment.ProcessorCount));
    }
}
