using System;
using System.Collections.Generic;

namespace GenBias;

/// <summary>
/// For a neuron of the first layer, whose pre-activation is an exact integer multiple of 2^-16 (the
/// <see cref="FixedPointGrid"/>), the set of integer pre-activations z whose activation f(z · 2^-16) lies in an
/// interval — computed exactly, as disjoint integer ranges, without assuming that the float activation is
/// monotone at the last bit.
/// </summary>
/// <remarks>
/// The activations are monotone up to <see cref="Tolerance"/>: for z1 &lt; z2, f(z1) ≤ f(z2) + tolerance (tanh and
/// sigmoid are within 3e-7 of the true functions, the piecewise ones are exactly monotone). So once f(p) ≤ bound −
/// tolerance, every z ≤ p is below the bound, and once f(q) &gt; bound + tolerance, every z ≥ q is above it. Only
/// the few z between p and q are evaluated one by one, with the very function the generated code calls.
/// </remarks>
internal static class NeuronMembership
{
    /// <summary>The assumed bound on how far f can go down between increasing inputs (with a wide margin).</summary>
    public static double Tolerance(Activation activation) =>
        activation is Activation.Tanh or Activation.Sigmoid ? 2e-6 : 0;

    /// <summary>The activation at integer pre-activation <paramref name="z"/> (in units of 2^-16), bit-identical to Forward.</summary>
    public static float Activate(Activation activation, long z) => ActivationMath.Apply(activation, (float)z * FixedPointGrid.Step);

    /// <summary>Disjoint, sorted, inclusive ranges of z in [<paramref name="zMin"/>, <paramref name="zMax"/>] whose activation is in the interval.</summary>
    /// <exception cref="InvalidOperationException">The uncertain band is too wide to evaluate point by point.</exception>
    public static List<(long Low, long High)> Members(Activation activation, ActivationInterval interval, long zMin, long zMax) =>
        Members(z => Activate(activation, z), Tolerance(activation), interval, zMin, zMax);

    /// <summary>
    /// The same for any pre-activation floats: z is a float's ordered integer (<see cref="Ordered"/>), so that the
    /// ranges cover every float from -∞ to +∞.
    /// </summary>
    public static List<(long Low, long High)> FloatMembers(Activation activation, ActivationInterval interval) =>
        Members(z => ActivationMath.Apply(activation, FromOrdered(z)), Tolerance(activation), interval,
            Ordered(float.NegativeInfinity), Ordered(float.PositiveInfinity));

    /// <summary>
    /// Maps floats to integers in the same order (−0 just below +0), without a branch: negative floats have every
    /// bit but the sign flipped.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static long Ordered(float value)
    {
        int bits = BitConverter.SingleToInt32Bits(value);
        return bits ^ ((bits >> 31) & 0x7FFFFFFF);
    }

    /// <summary>The inverse of <see cref="Ordered"/>.</summary>
    public static float FromOrdered(long ordered)
    {
        int bits = (int)ordered;
        return BitConverter.Int32BitsToSingle(bits ^ ((bits >> 31) & 0x7FFFFFFF));
    }

    private static List<(long Low, long High)> Members(Func<long, float> F, double tolerance, ActivationInterval interval, long zMin, long zMax)
    {

        // Lower bound: z ≤ pLow certainly below it, z ≥ qLow certainly above it.
        long pLow = zMin - 1, qLow = zMin;
        if (!double.IsNegativeInfinity(interval.Lower))
        {
            // Certainly out: f(z) ≤ f(pLow) + tolerance must fall below the bound (strictly, if the bound is included).
            pLow = interval.LowerInclusive
                ? LastTrue(z => F(z) < interval.Lower - tolerance, zMin, zMax)
                : LastTrue(z => F(z) <= interval.Lower - tolerance, zMin, zMax);
            qLow = FirstTrue(z => F(z) > interval.Lower + tolerance, zMin, zMax);
        }

        // Upper bound: z ≤ pHigh certainly below it, z ≥ qHigh certainly above it.
        long pHigh = zMax, qHigh = zMax + 1;
        if (!double.IsPositiveInfinity(interval.Upper))
        {
            pHigh = LastTrue(z => F(z) < interval.Upper - tolerance, zMin, zMax);
            qHigh = FirstTrue(z => F(z) > interval.Upper + tolerance, zMin, zMax);
        }

        var ranges = new List<(long, long)>();
        long bandLength = Math.Max(0, qLow - pLow - 1) + Math.Max(0, qHigh - pHigh - 1);
        if (bandLength > (1L << 27))
        {
            throw new InvalidOperationException($"The activation is within {tolerance} of the bound over {bandLength} grid points; exact counting would evaluate each.");
        }

        // Certainly inside both bounds.
        long sureLow = Math.Max(qLow, zMin), sureHigh = Math.Min(pHigh, zMax);
        // The bands, evaluated point by point (a point in both bands is evaluated once).
        var band = new SortedSet<long>();
        for (long z = Math.Max(pLow + 1, zMin); z < qLow && z <= zMax; z++)
        {
            band.Add(z);
        }

        for (long z = Math.Max(pHigh + 1, zMin); z < qHigh && z <= zMax; z++)
        {
            band.Add(z);
        }

        var points = new List<(long, long)>();
        foreach (long z in band)
        {
            if ((z < sureLow || z > sureHigh) && interval.Contains(F(z)))
            {
                points.Add((z, z));
            }
        }

        if (sureLow <= sureHigh)
        {
            points.Add((sureLow, sureHigh));
        }

        points.Sort();
        foreach ((long low, long high) in points)
        {
            if (ranges.Count > 0 && low <= ranges[^1].Item2 + 1)
            {
                ranges[^1] = (ranges[^1].Item1, Math.Max(ranges[^1].Item2, high));
            }
            else
            {
                ranges.Add((low, high));
            }
        }

        return ranges;
    }

    /// <summary>Some z with pred(z) true and pred(z + 1) false, searching [lo, hi]; lo − 1 if pred(lo) is false, hi if pred(hi) is true.</summary>
    private static long LastTrue(Func<long, bool> pred, long lo, long hi)
    {
        if (!pred(lo))
        {
            return lo - 1;
        }

        if (pred(hi))
        {
            return hi;
        }

        while (hi - lo > 1)
        {
            long mid = lo + ((hi - lo) / 2);
            if (pred(mid))
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Some z with pred(z) true and pred(z − 1) false, searching [lo, hi]; hi + 1 if pred(hi) is false, lo if pred(lo) is true.</summary>
    private static long FirstTrue(Func<long, bool> pred, long lo, long hi)
    {
        if (pred(lo))
        {
            return lo;
        }

        if (!pred(hi))
        {
            return hi + 1;
        }

        while (hi - lo > 1)
        {
            long mid = lo + ((hi - lo) / 2);
            if (pred(mid))
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }

        return hi;
    }
}
