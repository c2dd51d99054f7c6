using System;
using System.Collections.Generic;
using System.Linq;

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

    /// <summary>The most pre-activations one membership evaluates one by one (about a second's work).</summary>
    internal const long MaxEvaluated = 1L << 27;

    /// <summary>Disjoint, sorted, inclusive ranges of z in [<paramref name="zMin"/>, <paramref name="zMax"/>] whose activation is in the interval.</summary>
    /// <exception cref="CountRefusedException">The uncertain band is too wide to evaluate point by point.</exception>
    public static List<(long Low, long High)> Members(Activation activation, ActivationInterval interval, long zMin, long zMax) =>
        Members(z => Activate(activation, z), Tolerance(activation), interval, zMin, zMax,
            [.. ActivationMath.MonotoneRanges(activation).Select(r => (GridCeiling(r.Low), GridFloor(r.High)))]);

    /// <summary>
    /// The same for any pre-activation floats: z is a float's ordered integer (<see cref="Ordered"/>), so that the
    /// ranges cover every float from -∞ to +∞.
    /// </summary>
    public static List<(long Low, long High)> FloatMembers(Activation activation, ActivationInterval interval) =>
        Members(z => ActivationMath.Apply(activation, FromOrdered(z)), Tolerance(activation), interval,
            Ordered(float.NegativeInfinity), Ordered(float.PositiveInfinity),
            [.. ActivationMath.MonotoneRanges(activation).Select(r => (Ordered(r.Low), Ordered(r.High)))]);

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

    // The grid points (units of 2^-16) at or inside a float range's ends, saturated far beyond any grid sum.
    private static long GridCeiling(float x) => float.IsNegativeInfinity(x) ? long.MinValue / 4 : (long)FixedPointGrid.CeilingUnits(x);

    private static long GridFloor(float x) => float.IsPositiveInfinity(x) ? long.MaxValue / 4 : (long)FixedPointGrid.FloorUnits(x);

    /// <summary>
    /// The members among [zMin, zMax], F monotone up to <paramref name="tolerance"/> everywhere and exactly
    /// non-decreasing on each of <paramref name="monotone"/>: binary searches with the tolerance give the points
    /// certainly out and certainly in; of the bands between them, the parts inside a monotone range are resolved by
    /// binary search (there the members of an interval are one contiguous run) and only the rest is evaluated point by point.
    /// </summary>
    private static List<(long Low, long High)> Members(Func<long, float> F, double tolerance, ActivationInterval interval, long zMin, long zMax,
        IReadOnlyList<(long Low, long High)> monotone)
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

        // The uncertain bands (clipped, merged where they meet), cut where monotone ranges begin and end.
        var bands = new List<(long Low, long High)>();
        foreach ((long low, long high) in new[] { (Math.Max(pLow + 1, zMin), Math.Min(qLow - 1, zMax)), (Math.Max(pHigh + 1, zMin), Math.Min(qHigh - 1, zMax)) }.Order())
        {
            if (low > high)
            {
                continue;
            }

            if (bands.Count > 0 && low <= bands[^1].High + 1)
            {
                bands[^1] = (bands[^1].Low, Math.Max(bands[^1].High, high));
            }
            else
            {
                bands.Add((low, high));
            }
        }

        var pieces = new List<(long Low, long High, bool Monotone)>();
        foreach ((long low, long high) in bands)
        {
            long at = low;
            foreach ((long mLow, long mHigh) in monotone)
            {
                long from = Math.Max(at, mLow), to = Math.Min(high, mHigh);
                if (from > to)
                {
                    continue;
                }

                if (from > at)
                {
                    pieces.Add((at, from - 1, false));
                }

                pieces.Add((from, to, true));
                at = to + 1;
            }

            if (at <= high)
            {
                pieces.Add((at, high, false));
            }
        }

        long evaluated = pieces.Where(p => !p.Monotone).Sum(p => p.High - p.Low + 1);
        if (evaluated > MaxEvaluated)
        {
            throw new CountRefusedException(
                $"The activation is within {tolerance} of the preference's bound over {evaluated} pre-activations where it is not provably monotone; exact counting would evaluate each.");
        }

        var points = new List<(long Low, long High)>();
        // Certainly inside both bounds.
        long sureLow = Math.Max(qLow, zMin), sureHigh = Math.Min(pHigh, zMax);
        if (sureLow <= sureHigh)
        {
            points.Add((sureLow, sureHigh));
        }

        foreach ((long low, long high, bool isMonotone) in pieces)
        {
            if (isMonotone)
            {
                // Non-decreasing here: the lower bound holds from some z on and the upper bound up to some z.
                long first = double.IsNegativeInfinity(interval.Lower) ? low
                    : FirstTrue(z => interval.LowerInclusive ? F(z) >= interval.Lower : F(z) > interval.Lower, low, high);
                long last = double.IsPositiveInfinity(interval.Upper) ? high
                    : LastTrue(z => interval.UpperInclusive ? F(z) <= interval.Upper : F(z) < interval.Upper, low, high);
                if (first <= last)
                {
                    points.Add((first, last));
                }

                continue;
            }

            for (long z = low; z <= high; z++)
            {
                if (!interval.Contains(F(z)))
                {
                    continue;
                }

                if (points.Count > 0 && points[^1].High == z - 1)
                {
                    points[^1] = (points[^1].Low, z);
                }
                else
                {
                    points.Add((z, z));
                }
            }
        }

        points.Sort();
        var ranges = new List<(long Low, long High)>();
        foreach ((long low, long high) in points)
        {
            if (ranges.Count > 0 && low <= ranges[^1].High + 1)
            {
                ranges[^1] = (ranges[^1].Low, Math.Max(ranges[^1].High, high));
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
