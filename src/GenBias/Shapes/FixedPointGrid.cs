using System;

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
        LayerShape first = shape.Layers[0];
        for (int k = 0; k < first.Width; k++)
        {
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

            if (!(sum < MaxAbsoluteSum))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Moves the first layer of <paramref name="parameters"/> onto the grid: a neuron whose Σ|w| + |b| reaches the
    /// bound is first scaled down below it, then every value is rounded to the nearest multiple of the step.
    /// </summary>
    public static void SnapFirstLayer(NetworkShape shape, Span<float> parameters)
    {
        ArgumentNullException.ThrowIfNull(shape);
        shape.CheckParameterLength(parameters.Length, nameof(parameters));
        LayerShape first = shape.Layers[0];
        int n = first.InputCount;
        Span<double> sums = first.Width <= 256 ? stackalloc double[first.Width] : new double[first.Width];
        // Σ|w| + |b| per neuron in double, bias first, then the inputs in order; the neurons interleaved, so their
        // chains of additions overlap (each neuron's sum is the same as alone).
        for (int k = 0; k < first.Width; k++)
        {
            sums[k] = Math.Abs(parameters[first.BiasIndex(k)]);
        }

        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < first.Width; k++)
            {
                sums[k] += Math.Abs(parameters[first.WeightOffset + (k * n) + i]);
            }
        }

        for (int k = 0; k < first.Width; k++)
        {
            double sum = sums[k];
            // Leave room for rounding: each of the n + 1 values may grow by half a step.
            double limit = MaxAbsoluteSum - ((first.InputCount + 1) * Step);
            float scale = sum >= limit ? (float)(limit / sum * 0.999) : 1f;
            for (int i = 0; i < first.InputCount; i++)
            {
                parameters[first.WeightIndex(k, i)] = Snap(parameters[first.WeightIndex(k, i)] * scale);
            }

            parameters[first.BiasIndex(k)] = Snap(parameters[first.BiasIndex(k)] * scale);
        }
    }
}
