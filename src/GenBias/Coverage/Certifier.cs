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

/// <summary>Certifies a preference: exactly where the count fits the time budget, otherwise by a labelled estimate.</summary>
public static class Certifier
{
    /// <summary>
    /// Counts or estimates <paramref name="preference"/> for <paramref name="network"/> and says whether it holds. For a
    /// valid preference this does not throw (other than for cancellation): where no exact count is possible or
    /// affordable it estimates, and the certificate's <see cref="Certificate.Reason"/> says why.
    /// </summary>
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

    /// <summary>Why no exact count is possible (the conditions <see cref="ProjectedSeconds"/> returns null for).</summary>
    private static string WhyNotExact(ITernaryNetwork network, Preference preference)
    {
        NetworkShape shape = network.Shape;
        return preference.Distribution != PreferenceDistribution.UniformCube
            ? $"the preference is over {preference.Distribution}, and exact counts are over the uniform cube"
            : shape.InputCount > CoverageCounter.MaxInputs
                ? $"{shape.InputCount} inputs; exact counts handle up to {CoverageCounter.MaxInputs}"
                : "the first layer is not on the fixed-point grid (FixedPointGrid), so no order of summation is exact";
    }

    /// <summary>
    /// The projected seconds of an exact count, or null if none is possible (another distribution, too many
    /// inputs, a first layer off the grid). Meet in the middle is taken as instant; enumeration is timed on a sample.
    /// </summary>
    public static double? ProjectedSeconds(ITernaryNetwork network, Preference preference, CountOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preference);
        options ??= new CountOptions();
        NetworkShape shape = network.Shape;
        if (preference.Distribution != PreferenceDistribution.UniformCube || shape.InputCount > CoverageCounter.MaxInputs ||
            !FixedPointGrid.IsFirstLayerOnGrid(shape, network.Parameters))
        {
            return null;
        }

        if (preference.ResolveLayer(shape) == 0 && options.AllowMeetInTheMiddle)
        {
            return 0;
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
