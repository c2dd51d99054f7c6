using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GenBias;

/// <summary>
/// A cheap tanh of first-layer accumulators with a measured error bound, for the counting leaf's first pass: it
/// decides most inputs without the exact activation, and the inputs it cannot decide are evaluated exactly.
/// </summary>
/// <remarks>
/// The argument is an accumulator u (an integer, in units of <see cref="FixedPointGrid.Step"/> = 2^-16) as a float,
/// so z = u·2^-16 needs no multiply. |z| is split by its exponent into segments [0, ½), [½, 1), [1, 2), [2, 4),
/// [4, 8) and [8, ∞); each of the first five has a cubic fitted at Chebyshev nodes (coefficients scaled by powers of
/// two, so in terms of |u|), and the last is the constant <see cref="ActivationMath.Tanh(float)"/> takes beyond its
/// clamp at 7.905. The segment's coefficients come from four in-register permutes indexed by the clamped biased
/// exponent (whose low three bits are the permute index): no gathers, no division. The error against the exact
/// float activation is not estimated but measured: <see cref="MaxError"/> evaluates both on every accumulator value
/// with |z| &lt; 8 (2^20 integers, once per process, in blocks of 2^12), and beyond 8 both are the same constant.
/// </remarks>
internal static class BoundedTanh
{
    private const int BlockBits = 12;
    private const int Limit = 1 << 19;           // |u| < 2^19 ⇔ |z| < 8
    private const int FirstExponent = 127 + 16 - 2;   // biased exponent of |u| for |z| in [¼, ½): the first segment
    private const int LastExponent = FirstExponent + 7;

    private static readonly float[] C0 = new float[8], C1 = new float[8], C2 = new float[8], C3 = new float[8];
    private static readonly Lazy<float[]> BlockErrors = new(MeasureBlocks);

    static BoundedTanh()
    {
        // Segment s covers |z| in [lo, hi); its slot in the permute tables is the low three bits of its exponent.
        (double Low, double High)[] segments = [(0, 0.5), (0.5, 1), (1, 2), (2, 4), (4, 8)];
        for (int s = 0; s < 8; s++)
        {
            int slot = (FirstExponent + s) & 7;
            if (s < segments.Length)
            {
                double[] c = FitCubic(segments[s].Low, segments[s].High);
                C0[slot] = (float)c[0];
                C1[slot] = (float)(c[1] / 65536.0);
                C2[slot] = (float)(c[2] / 65536.0 / 65536.0);
                C3[slot] = (float)(c[3] / 65536.0 / 65536.0 / 65536.0);
            }
            else
            {
                C0[slot] = ActivationMath.Tanh(8f);
            }
        }
    }

    /// <summary>Whether the permutes this needs are available.</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>The four permute tables, loaded once by a caller's loop.</summary>
    public readonly struct Tables
    {
        public readonly Vector256<float> C0, C1, C2, C3;

        public Tables()
        {
            C0 = Vector256.Create(BoundedTanh.C0.AsSpan());
            C1 = Vector256.Create(BoundedTanh.C1.AsSpan());
            C2 = Vector256.Create(BoundedTanh.C2.AsSpan());
            C3 = Vector256.Create(BoundedTanh.C3.AsSpan());
        }
    }

    /// <summary>
    /// Approximately tanh(u·2^-16) for each lane (u an accumulator), within <see cref="MaxError"/> of the exact float
    /// activation; the tables are loaded once by the caller.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> u, in Tables tables)
    {
        Vector256<float> sign = Vector256.Create(-0f);
        Vector256<float> a = Vector256.AndNot(u, sign);
        Vector256<int> exponent = Vector256.ShiftRightLogical(a.AsInt32(), 23);
        Vector256<int> index = Vector256.Min(Vector256.Max(exponent, Vector256.Create(FirstExponent)), Vector256.Create(LastExponent));
        Vector256<float> c3 = Avx2.PermuteVar8x32(tables.C3, index);
        Vector256<float> c2 = Avx2.PermuteVar8x32(tables.C2, index);
        Vector256<float> c1 = Avx2.PermuteVar8x32(tables.C1, index);
        Vector256<float> c0 = Avx2.PermuteVar8x32(tables.C0, index);
        Vector256<float> p = Vector256.FusedMultiplyAdd(Vector256.FusedMultiplyAdd(Vector256.FusedMultiplyAdd(c3, a, c2), a, c1), a, c0);
        return p ^ (u & sign);
    }

    /// <summary>
    /// The largest |<see cref="Apply"/> − exact tanh| over the accumulator values in [<paramref name="low"/>,
    /// <paramref name="high"/>] (units of 2^-16), measured, not estimated.
    /// </summary>
    public static double MaxError(long low, long high)
    {
        float[] blocks = BlockErrors.Value;
        long lo = Math.Max(low, -Limit), hi = Math.Min(high, Limit - 1);
        double error = 0;
        for (long b = (lo + Limit) >> BlockBits; b <= (hi + Limit) >> BlockBits && b < blocks.Length; b++)
        {
            error = Math.Max(error, blocks[b]);
        }

        return error;
    }

    private static float[] MeasureBlocks()
    {
        float[] blocks = new float[(2 * Limit) >> BlockBits];
        Vector256<float> step = Vector256.Create(FixedPointGrid.Step);
        var tables = new Tables();
        for (int b = 0; b < blocks.Length; b++)
        {
            Vector256<float> worst = Vector256<float>.Zero;
            int start = (b << BlockBits) - Limit;
            for (int u = start; u < start + (1 << BlockBits); u += 8)
            {
                Vector256<float> x = Vector256.ConvertToSingle(Vector256.Create(u) + Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7));
                Vector256<float> difference = Vector256.Abs(Apply(x, tables) - ActivationMath.Tanh(x * step));
                worst = Vector256.Max(worst, difference);
            }

            float max = 0;
            for (int i = 0; i < 8; i++)
            {
                max = Math.Max(max, worst[i]);
            }

            // The subtraction above is rounded: one ulp of the largest value involved (≤ 1) covers it.
            blocks[b] = max + 1.2e-7f;
        }

        return blocks;
    }

    /// <summary>The cubic through tanh at the four Chebyshev nodes of [lo, hi] (close to the best cubic there).</summary>
    private static double[] FitCubic(double lo, double hi)
    {
        const int n = 4;
        double[,] m = new double[n, n + 1];
        for (int i = 0; i < n; i++)
        {
            double x = ((lo + hi) / 2) + ((hi - lo) / 2 * Math.Cos(Math.PI * ((2 * i) + 1) / (2 * n)));
            for (int j = 0; j < n; j++)
            {
                m[i, j] = Math.Pow(x, j);
            }

            m[i, n] = Math.Tanh(x);
        }

        for (int c = 0; c < n; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < n; r++)
            {
                pivot = Math.Abs(m[r, c]) > Math.Abs(m[pivot, c]) ? r : pivot;
            }

            for (int j = 0; j <= n; j++)
            {
                (m[c, j], m[pivot, j]) = (m[pivot, j], m[c, j]);
            }

            for (int r = 0; r < n; r++)
            {
                if (r != c)
                {
                    double f = m[r, c] / m[c, c];
                    for (int j = c; j <= n; j++)
                    {
                        m[r, j] -= f * m[c, j];
                    }
                }
            }
        }

        double[] coefficients = new double[n];
        for (int i = 0; i < n; i++)
        {
            coefficients[i] = m[i, n] / m[i, i];
        }

        return coefficients;
    }
}
