using System;

namespace GenBias;

/// <summary>A two-sided confidence interval for a binomial proportion.</summary>
/// <param name="Successes">The number of samples in the set.</param>
/// <param name="Trials">The number of samples.</param>
/// <param name="Confidence">The coverage of the interval, for example 0.99.</param>
/// <param name="Lower">The lower bound.</param>
/// <param name="Upper">The upper bound.</param>
public sealed record RateInterval(long Successes, long Trials, double Confidence, double Lower, double Upper)
{
    /// <summary>The observed fraction.</summary>
    public double Estimate => Trials == 0 ? double.NaN : (double)Successes / Trials;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Estimate:P2} [{Lower:P2}, {Upper:P2}] at {Confidence * 100:0.###} % ({Successes:N0}/{Trials:N0})";
}

/// <summary>
/// Exact (Clopper–Pearson) binomial confidence intervals, and the sample size a requested half-width needs.
/// </summary>
public static class ClopperPearson
{
    /// <summary>The Clopper–Pearson interval for <paramref name="successes"/> out of <paramref name="trials"/>.</summary>
    public static RateInterval Interval(long successes, long trials, double confidence)
    {
        if (trials <= 0 || successes < 0 || successes > trials)
        {
            throw new ArgumentOutOfRangeException(nameof(successes), $"{successes} successes of {trials} trials is not a binomial count.");
        }

        if (!(confidence > 0 && confidence < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "The confidence must be in (0, 1).");
        }

        double alpha = 1 - confidence;
        double lower = successes == 0 ? 0 : BetaQuantile(alpha / 2, successes, trials - successes + 1);
        double upper = successes == trials ? 1 : BetaQuantile(1 - (alpha / 2), successes + 1, trials - successes);
        return new RateInterval(successes, trials, confidence, lower, upper);
    }

    /// <summary>
    /// The number of uniform samples for which a Clopper–Pearson interval at <paramref name="confidence"/> has a
    /// half-width of at most <paramref name="halfWidth"/> whatever the true fraction (the worst case is 1/2).
    /// </summary>
    public static long SampleSize(double halfWidth, double confidence)
    {
        if (!(halfWidth > 0 && halfWidth < 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(halfWidth), halfWidth, "The half-width must be in (0, 0.5).");
        }

        // Start from the normal approximation and grow until the exact interval at p = 1/2 is narrow enough.
        double z = NormalQuantile(1 - ((1 - confidence) / 2));
        long n = Math.Max(1, (long)Math.Floor(z * z * 0.25 / (halfWidth * halfWidth)));
        while (true)
        {
            RateInterval interval = Interval(n / 2, n, confidence);
            if ((interval.Upper - interval.Lower) / 2 <= halfWidth)
            {
                return n;
            }

            n += Math.Max(1, n / 200);
        }
    }

    /// <summary>The regularized incomplete beta function I_x(a, b).</summary>
    public static double RegularizedBeta(double x, double a, double b)
    {
        if (x <= 0)
        {
            return 0;
        }

        if (x >= 1)
        {
            return 1;
        }

        double front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + (a * Math.Log(x)) + (b * Math.Log(1 - x)));
        return x < (a + 1) / (a + b + 2)
            ? front * BetaContinuedFraction(x, a, b) / a
            : 1 - (front * BetaContinuedFraction(1 - x, b, a) / b);
    }

    private static double BetaQuantile(double p, double a, double b)
    {
        double lo = 0, hi = 1;
        for (int i = 0; i < 200 && hi - lo > 1e-15; i++)
        {
            double mid = (lo + hi) / 2;
            if (RegularizedBeta(mid, a, b) < p)
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

    // Lentz's method (Numerical Recipes, betacf).
    private static double BetaContinuedFraction(double x, double a, double b)
    {
        const double Tiny = 1e-300;
        double qab = a + b, qap = a + 1, qam = a - 1;
        double c = 1, d = 1 - (qab * x / qap);
        d = Math.Abs(d) < Tiny ? Tiny : d;
        d = 1 / d;
        double h = d;
        for (int m = 1; m <= 10000; m++)
        {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + (aa * d);
            d = Math.Abs(d) < Tiny ? Tiny : d;
            c = 1 + (aa / c);
            c = Math.Abs(c) < Tiny ? Tiny : c;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + (aa * d);
            d = Math.Abs(d) < Tiny ? Tiny : d;
            c = 1 + (aa / c);
            c = Math.Abs(c) < Tiny ? Tiny : c;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-15)
            {
                break;
            }
        }

        return h;
    }

    internal static double LogGamma(double x)
    {
        // Lanczos approximation (g = 7, n = 9), accurate to ~15 digits for x > 0.
        double[] c =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        if (x < 0.5)
        {
            return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        }

        x -= 1;
        double sum = c[0];
        for (int i = 1; i < 9; i++)
        {
            sum += c[i] / (x + i);
        }

        double t = x + 7.5;
        return (0.5 * Math.Log(2 * Math.PI)) + ((x + 0.5) * Math.Log(t)) - t + Math.Log(sum);
    }

    private static double NormalQuantile(double p)
    {
        // Bisection on the error function is plenty for a starting point.
        double lo = -10, hi = 10;
        for (int i = 0; i < 100; i++)
        {
            double mid = (lo + hi) / 2;
            if (0.5 * (1 + Erf(mid / Math.Sqrt(2))) < p)
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

    private static double Erf(double x)
    {
        // Abramowitz–Stegun 7.1.26 is too coarse; use the incomplete gamma relation erf(x) = P(1/2, x²).
        double sign = Math.Sign(x);
        x = Math.Abs(x);
        return sign * RegularizedLowerGammaHalf(x * x);
    }

    private static double RegularizedLowerGammaHalf(double x)
    {
        // P(1/2, x) by its series; x here is at most 50, where the series converges quickly enough.
        double a = 0.5, sum = 1 / a, term = sum;
        for (int n = 1; n < 1000; n++)
        {
            term *= x / (a + n);
            sum += term;
            if (term < sum * 1e-16)
            {
                break;
            }
        }

        return Math.Min(1, sum * Math.Exp(-x + (a * Math.Log(x)) - LogGamma(a)));
    }
}
