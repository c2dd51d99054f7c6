using System;

namespace GenBias;

/// <summary>
/// The independent check a sample calibration is aimed at: a fresh sample of <paramref name="Samples"/> inputs whose
/// Clopper–Pearson interval at <paramref name="Confidence"/> must lie within the preference's bounds, passed with
/// probability at least <paramref name="PassProbability"/> (over the calibration's sample and the check's).
/// </summary>
public sealed record IndependentCheck(int Samples, double Confidence, double PassProbability = 0.99)
{
    /// <summary>Throws unless every field is in range.</summary>
    public void Validate()
    {
        if (Samples < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Samples), Samples, "An independent check draws at least one sample.");
        }

        if (!(Confidence > 0 && Confidence < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Confidence), Confidence, "The check's confidence must be in (0, 1).");
        }

        if (!(PassProbability > 0 && PassProbability < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(PassProbability), PassProbability, "The pass probability must be in (0, 1).");
        }
    }
}

/// <summary>
/// How many hits a sample calibration demands of its own sample so that an independent check passes with a stated
/// probability (docs/design/calibration-margin.md derives it).
/// </summary>
/// <remarks>
/// Each input x of the sample has a threshold bias above which it is a hit (for an interval open above; below, for one
/// open below): the calibrated bias is the k-th smallest of the N sample thresholds, so the true rate there is
/// F(b₍ₖ₎), F the thresholds' distribution over the cube — a Beta(k, N − k + 1) variable when F is continuous, and
/// stochastically larger when inputs tie. A check of M fresh inputs passes when its hits reach k_M, the fewest whose
/// Clopper–Pearson lower bound reaches τ; its hits given the rate are Binomial(M, rate), so the pass probability is
/// the beta-binomial tail P(BetaBinomial(M; k, N − k + 1) ≥ k_M), a lower bound where inputs tie. Aiming at k = k_N
/// (the calibration's own Clopper–Pearson bound) with N = M passes about half the time; the margin is the k at which
/// the tail reaches the requested probability.
/// </remarks>
public static class CalibrationMargin
{
    /// <summary>
    /// The probability that a check of <paramref name="checkSamples"/> fresh inputs sees at least
    /// <paramref name="checkHits"/> hits, when the true rate is that at the <paramref name="hits"/>-th smallest threshold
    /// of <paramref name="samples"/> uniform draws: P(BetaBinomial(M; k, N − k + 1) ≥ k_M).
    /// </summary>
    public static double PassProbability(long hits, long samples, long checkHits, long checkSamples)
    {
        if (samples < 1 || hits < 1 || hits > samples || checkSamples < 1 || checkHits < 0 || checkHits > checkSamples + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(hits), $"{hits} of {samples} calibration samples, {checkHits} of {checkSamples} check samples: not a calibration and a check.");
        }

        if (checkHits == 0)
        {
            return 1;
        }

        if (checkHits > checkSamples)
        {
            return 0;
        }

        double a = hits, b = samples - hits + 1, m = checkSamples;
        // log P(X = j) = log C(M, j) + log B(j + a, M − j + b) − log B(a, b); the tail is summed from j = k_M upward by the
        // ratio P(j + 1)/P(j) = (M − j)(j + a) / ((j + 1)(M − j + b − 1)), stopping once the terms are negligible past the mean.
        double LogBeta(double x, double y) => ClopperPearson.LogGamma(x) + ClopperPearson.LogGamma(y) - ClopperPearson.LogGamma(x + y);
        double j0 = checkHits;
        double logFirst = ClopperPearson.LogGamma(m + 1) - ClopperPearson.LogGamma(j0 + 1) - ClopperPearson.LogGamma(m - j0 + 1)
                          + LogBeta(j0 + a, m - j0 + b) - LogBeta(a, b);
        double mean = m * a / (a + b);
        // The terms relative to the first (its log kept apart, so that a far tail neither underflows nor overflows).
        double term = 1, sum = 0;
        for (double j = j0; j <= m; j++)
        {
            sum += term;
            if (j > mean && term < sum * 1e-17)
            {
                break;
            }

            term *= (m - j) * (j + a) / ((j + 1) * (m - j + b - 1));
        }

        return Math.Min(1, Math.Exp(logFirst + Math.Log(sum)));
    }

    /// <summary>
    /// The fewest and most hits out of <paramref name="samples"/> a calibration accepts: its own Clopper–Pearson interval
    /// at <paramref name="confidence"/> within the preference's bounds, and, with <paramref name="check"/>, each bound
    /// aimed far enough inside that the check passes with its probability (the hits counted on the other side for an
    /// upper bound). (−1, −1) where no count out of <paramref name="samples"/> does.
    /// </summary>
    public static (long MinHits, long MaxHits) RequiredHits(Preference preference, long samples, double confidence, IndependentCheck? check = null)
    {
        ArgumentNullException.ThrowIfNull(preference);
        check?.Validate();
        (double lo, double hi) = preference.Bounds;
        long minHits = lo > 0 ? FewestHits(lo, samples, confidence, check) : 0;
        long maxHits = hi < 1 ? FewestHits(1 - hi, samples, confidence, check) is long misses and >= 0 ? samples - misses : -1 : samples;
        return minHits < 0 || maxHits < 0 || minHits > maxHits ? (-1, -1) : (minHits, maxHits);
    }

    /// <summary>
    /// The fewest hits out of <paramref name="samples"/> whose Clopper–Pearson lower bound reaches
    /// <paramref name="bound"/> and, with a check, at which the check passes with its probability; −1 if none.
    /// </summary>
    private static long FewestHits(double bound, long samples, double confidence, IndependentCheck? check)
    {
        long own = SearchCount(samples, k => ClopperPearson.Interval(k, samples, confidence).Lower >= bound);
        if (own < 0 || check is null)
        {
            return own;
        }

        long checkHits = SearchCount(check.Samples, k => ClopperPearson.Interval(k, check.Samples, check.Confidence).Lower >= bound);
        if (checkHits < 0)
        {
            return -1;
        }

        long aimed = SearchCount(samples, k => k >= 1 && PassProbability(k, samples, checkHits, check.Samples) >= check.PassProbability);
        return aimed < 0 ? -1 : Math.Max(own, aimed);
    }

    /// <summary>The smallest k in [0, n] with a monotone predicate true, or −1 if none.</summary>
    private static long SearchCount(long n, Func<long, bool> predicate)
    {
        if (!predicate(n))
        {
            return -1;
        }

        long lo = 0, hi = n;
        while (lo < hi)
        {
            long mid = (lo + hi) / 2;
            if (predicate(mid))
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }
}
