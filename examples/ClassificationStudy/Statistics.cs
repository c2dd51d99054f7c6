using System;
using System.Collections.Generic;
using System.Linq;
using GenBias;

namespace ClassificationStudy;

/// <summary>A paired difference's mean and its two-sided interval.</summary>
/// <param name="Mean">The mean of the paired differences.</param>
/// <param name="Lower">The interval's lower end.</param>
/// <param name="Upper">The interval's upper end.</param>
/// <param name="Pairs">How many pairs.</param>
public sealed record PairedInterval(double Mean, double Lower, double Upper, int Pairs)
{
    /// <summary>Whether the interval leaves out 0.</summary>
    public bool Significant => Lower > 0 || Upper < 0;
}

/// <summary>The study's statistics: Student's t and the corrected resampled t interval of paired differences.</summary>
public static class Statistics
{
    /// <summary>The CDF of Student's t with <paramref name="df"/> degrees of freedom at <paramref name="t"/>.</summary>
    public static double StudentCdf(double t, double df)
    {
        if (!(df > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(df), df, "Degrees of freedom must be positive.");
        }

        double tail = 0.5 * ClopperPearson.RegularizedBeta(df / (df + (t * t)), df / 2, 0.5);
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>The <paramref name="p"/>-quantile of Student's t with <paramref name="df"/> degrees of freedom (bisection on the CDF).</summary>
    public static double StudentQuantile(double p, double df)
    {
        if (!(p > 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "A quantile's probability is in (0, 1).");
        }

        double lo = -1e4, hi = 1e4;
        for (int i = 0; i < 200 && hi - lo > 1e-12; i++)
        {
            double mid = (lo + hi) / 2;
            if (StudentCdf(mid, df) < p)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return (lo + hi) / 2;
    }

    /// <summary>
    /// The corrected resampled t interval (Nadeau and Bengio; in the repeated k-fold form of Bouckaert and Frank) of
    /// paired differences from J = folds × seeds runs: d̄ ± t(J − 1) · √((1/J + n_test/n_train) · s²), s² the sample
    /// variance of the differences. The n_test/n_train term accounts for the overlap of the training sets (each row
    /// trains k − 1 of the k folds), which the plain paired t interval ignores and so is too narrow.
    /// </summary>
    public static PairedInterval CorrectedInterval(IReadOnlyList<double> differences, double testOverTrain, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(differences);
        int j = differences.Count;
        if (j < 2)
        {
            throw new ArgumentException($"A paired interval needs at least 2 differences; got {j}.", nameof(differences));
        }

        if (!(testOverTrain >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(testOverTrain), testOverTrain, "The test-to-train size ratio is non-negative.");
        }

        double mean = differences.Average();
        double variance = differences.Sum(d => (d - mean) * (d - mean)) / (j - 1);
        double half = StudentQuantile(1 - ((1 - confidence) / 2), j - 1) * Math.Sqrt(((1.0 / j) + testOverTrain) * variance);
        return new PairedInterval(mean, mean - half, mean + half, j);
    }
}
