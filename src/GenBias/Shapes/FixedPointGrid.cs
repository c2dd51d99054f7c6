using System;
using System.Runtime.Intrinsics;

namespace GenBias;

/// <summary>
/// The grid that makes the first layer exact: weights and biases that are multiples of 2^-16 whose absolute values
/// sum to less than 256 per neuron. Every partial sum of such a neuron over ternary inputs is then a multiple of
/// 2^-16 below 2^8 in magnitude, which a float holds exactly, so the sum has the same bits in any order — the
/// canonical order, a ternary Gray-code enumerator that adds and subtracts one weight at a time, or a table of
/// precomputed group sums. The trainer keeps the first layer on this grid; later layers do not need it because
/// everyone evaluates them with the same shared functions.
/// </summary>
public static class FixedPointGrid
{
    /// <summary>The grid step, 2^-16.</summary>
    public const float Step = 1f / UnitsPerOne;

    /// <summary>Grid steps per unit, 2^16: the one place the grid's scale is written.</summary>
    internal const int UnitsPerOne = 1 << 16;

    /// <summary>The bound on a first-layer neuron's Σ|w| + |b| (exclusive).</summary>
    public const float MaxAbsoluteSum = 256f;

    /// <summary><see cref="MaxAbsoluteSum"/> in steps, 2^24 (exclusive): every partial sum below it is an exact float.</summary>
    internal const long MaxAbsoluteUnits = (long)MaxAbsoluteSum * UnitsPerOne;

    /// <summary>
    /// The largest |w| in steps that the first layer's int16 table holds (2^15 − 1, a weight below 0.5): every weight
    /// within it is an exact int16, and a product by a ternary input an exact int16 too.
    /// </summary>
    internal const int MaxShortUnits = short.MaxValue;

    /// <summary>
    /// Whether <paramref name="weight"/> is on the grid and within <see cref="MaxShortUnits"/> steps: the one rule for
    /// the int16 table of the first layer (<c>WideFirstLayer.BuildShortPairs</c>).
    /// </summary>
    internal static bool FitsShortUnits(float weight)
    {
        // Within 2^15 steps the scaling by 2^16 and back is exact, so this is Snap(weight) == weight there.
        float units = weight * UnitsPerOne;
        return MathF.Abs(units) <= MaxShortUnits && MathF.Round(units) == units;
    }

    /// <summary>
    /// <see cref="FitsShortUnits(float)"/> of 16 weights at once, lane by lane the same comparisons: whether all fit, and
    /// their steps in <paramref name="units"/> (meaningful only if they do).
    /// </summary>
    internal static bool FitsShortUnits(Vector512<float> weights, out Vector512<int> units)
    {
        Vector512<float> scaled = weights * UnitsPerOne;
        units = Vector512.ConvertToInt32(scaled);
        return Vector512.LessThanOrEqualAll(Vector512.Abs(scaled), Vector512.Create((float)MaxShortUnits))
            && Vector512.EqualsAll(Vector512.Round(scaled), scaled);
    }

    /// <summary>Rounds <paramref name="value"/> to the nearest multiple of <see cref="Step"/>.</summary>
    public static float Snap(float value) => MathF.Round(value * UnitsPerOne) * Step;

    /// <summary>A value on the grid as a whole number of steps (exact: |value| &lt; 256 is below 2^24 steps).</summary>
    internal static int ToUnits(float onGrid) => (int)(onGrid * UnitsPerOne);

    /// <summary>The grid point at or above <paramref name="value"/>, in steps.</summary>
    internal static double CeilingUnits(double value) => Math.Ceiling(value * UnitsPerOne);

    /// <summary>The grid point at or below <paramref name="value"/>, in steps.</summary>
    internal static double FloorUnits(double value) => Math.Floor(value * UnitsPerOne);

    /// <summary>Whether the first layer of <paramref name="parameters"/> is on the grid.</summary>
    public static bool IsFirstLayerOnGrid(NetworkShape shape, ReadOnlySpan<float> parameters)
    {
        ArgumentNullException.ThrowIfNull(shape);
        shape.CheckParameterLength(parameters.Length, nameof(parameters));
        for (int k = 0; k < shape.Layers[0].Width; k++)
        {
            if (!IsNeuronOnGrid(shape, parameters, k))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether first-layer neuron <paramref name="k"/> of <paramref name="parameters"/> is on the grid (its values multiples of the step, Σ|w| + |b| below the bound).</summary>
    internal static bool IsNeuronOnGrid(NetworkShape shape, ReadOnlySpan<float> parameters, int k)
    {
        LayerShape first = shape.Layers[0];
        float sum = MathF.Abs(parameters[first.BiasIndex(k)]);
        if (Snap(parameters[first.BiasIndex(k)]) != parameters[first.BiasIndex(k)])
        {
            return false;
        }

        for (int i = 0; i < first.InputCount; i++)
        {
            float w = parameters[first.WeightIndex(k, i)];
            if (Snap(w) != w)
            {
                return false;
            }

            sum += MathF.Abs(w);
        }

        return sum < MaxAbsoluteSum;
    }

    /// <summary>
    /// The largest |b| (in steps) a first-layer neuron whose weights reach Σ|w| = <paramref name="reach"/> steps may
    /// take on the grid: Σ|w| + |b| &lt; 2^24 steps (256), so every pre-activation is an exact float.
    /// </summary>
    internal static long BiasLimit(long reach) => Math.Max(0, MaxAbsoluteUnits - 1 - reach);

    /// <summary>
    /// Moves the first layer of <paramref name="parameters"/> onto the grid: a neuron whose Σ|w| + |b| reaches the
    /// bound is first scaled down below it, then every value is rounded to the nearest multiple of the step.
    /// </summary>
    /// <remarks>
    /// Σ|w| + |b| is summed in double, bias first, then the inputs in order. A neuron whose float sum (in any order)
    /// is below the bound by more than that sum's rounding can be certain of its double sum too: it needs no scaling,
    /// and its values are rounded sixteen at a time — the same rounding, lane by lane.
    /// </remarks>
    public static void SnapFirstLayer(NetworkShape shape, Span<float> parameters)
    {
        ArgumentNullException.ThrowIfNull(shape);
        shape.CheckParameterLength(parameters.Length, nameof(parameters));
        LayerShape first = shape.Layers[0];
        for (int k = 0; k < first.Width; k++)
        {
            SnapNeuron(parameters.Slice(first.WeightIndex(k, 0), first.InputCount), ref parameters[first.BiasIndex(k)]);
        }
    }

    /// <summary>
    /// Whether a first-layer neuron of <paramref name="inputs"/> inputs whose float Σ|w| + |b|, summed in any order, is
    /// <paramref name="estimate"/> is surely below the bound: it then needs no scaling, only rounding (<see cref="Snap"/>
    /// of each value; false for NaN).
    /// </summary>
    internal static bool SurelyInside(float estimate, int inputs)
    {
        // Leave room for rounding: each of the n + 1 values may grow by half a step.
        double limit = MaxAbsoluteSum - ((inputs + 1) * Step);
        // A float sum of n + 1 values is within (n + 1)·2^-24 of the exact sum, relatively; the double sum within far less.
        double margin = 1 + ((inputs + 2) * Math.ScaleB(1.0, -22));
        return estimate * margin < limit;
    }

    /// <summary>One neuron of <see cref="SnapFirstLayer"/>: its <paramref name="weights"/> and <paramref name="bias"/> onto the grid.</summary>
    internal static void SnapNeuron(Span<float> weights, ref float bias)
    {
        int n = weights.Length;
        if (SurelyInside(AbsoluteSum(weights) + MathF.Abs(bias), n))
        {
            SnapAll(weights);
            bias = Snap(bias);
            return;
        }

        // Σ|w| + |b| in double, bias first, then the inputs in order.
        double limit = MaxAbsoluteSum - ((n + 1) * Step);
        double sum = Math.Abs(bias);
        for (int i = 0; i < n; i++)
        {
            sum += Math.Abs(weights[i]);
        }

        float scale = sum >= limit ? (float)(limit / sum * 0.999) : 1f;
        for (int i = 0; i < n; i++)
        {
            weights[i] = Snap(weights[i] * scale);
        }

        bias = Snap(bias * scale);
    }

    /// <summary>Σ|v| in float, in no particular order (a bound's estimate; NaN where a value is).</summary>
    private static float AbsoluteSum(ReadOnlySpan<float> values)
    {
        int i = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated && values.Length >= 16)
        {
            Vector512<float> lanes = Vector512<float>.Zero;
            for (; i <= values.Length - 16; i += 16)
            {
                lanes += Vector512.Abs(Vector512.Create(values.Slice(i, 16)));
            }

            sum = Vector512.Sum(lanes);
        }

        for (; i < values.Length; i++)
        {
            sum += MathF.Abs(values[i]);
        }

        return sum;
    }

    /// <summary><see cref="Snap"/> of every value: round(v · 2^16) · 2^-16, rounding half to even, sixteen at a time where Vector512 runs.</summary>
    internal static void SnapAll(Span<float> values)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= values.Length - 16; i += 16)
            {
                Span<float> block = values.Slice(i, 16);
                (Vector512.Round(Vector512.Create(block) * UnitsPerOne) * Step).CopyTo(block);
            }
        }

        for (; i < values.Length; i++)
        {
            values[i] = Snap(values[i]);
        }
    }
}
