using System;
using System.Collections.Generic;
using System.Linq;

namespace GenBias;

/// <summary>
/// For a neuron of the first layer, whose pre-activation is an exact integer multiple of 2^-16 (the
/// <see cref="FixedPointGrid"/>), the set of integer pre-activations z whose activation f(z · 2^-16) lies in an
/// interval — computed exactly, as one range, by binary search.
/// </summary>
/// <remarks>
/// Every activation, as computed by <see cref="ActivationMath"/>, is exactly non-decreasing on every float (for tanh
/// and sigmoid by construction, see <see cref="ActivationMath"/>'s remarks), and so is z ↦ f(z · 2^-16) (the product
/// is a monotone rounding). The members of an interval are therefore one contiguous run: from the first z whose
/// activation passes the lower bound to the last z whose activation stays under the upper bound, both found by
/// evaluating the very function the generated code calls.
/// </remarks>
internal static class NeuronMembership
{
    /// <summary>The activation at integer pre-activation <paramref name="z"/> (in units of 2^-16), bit-identical to Forward.</summary>
    public static float Activate(Activation activation, long z) => ActivationMath.Apply(activation, (float)z * FixedPointGrid.Step);

    /// <summary>The sorted ranges (at most one) of z in [<paramref name="zMin"/>, <paramref name="zMax"/>] whose activation is in the interval.</summary>
    public static List<(long Low, long High)> Members(Activation activation, ActivationInterval interval, long zMin, long zMax) =>
        Members(z => Activate(activation, z), interval, zMin, zMax);

    /// <summary>
    /// The same for any pre-activation floats: z is a float's ordered integer (<see cref="Ordered"/>), so that the
    /// range covers every float from -∞ to +∞.
    /// </summary>
    public static List<(long Low, long High)> FloatMembers(Activation activation, ActivationInterval interval) =>
        Members(z => ActivationMath.Apply(activation, FromOrdered(z)), interval, Ordered(float.NegativeInfinity), Ordered(float.PositiveInfinity));

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

    /// <summary>The members among [zMin, zMax] of a non-decreasing F: one run, found by two binary searches.</summary>
    private static List<(long Low, long High)> Members(Func<long, float> F, ActivationInterval interval, long zMin, long zMax)
    {
        long first = double.IsNegativeInfinity(interval.Lower) ? zMin
            : FirstTrue(z => interval.LowerInclusive ? F(z) >= interval.Lower : F(z) > interval.Lower, zMin, zMax);
        long last = double.IsPositiveInfinity(interval.Upper) ? zMax
            : LastTrue(z => interval.UpperInclusive ? F(z) <= interval.Upper : F(z) < interval.Upper, zMin, zMax);
        return first <= last ? [(first, last)] : [];
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
