using System;
using System.Diagnostics;
using System.Threading;

namespace GenBias;

/// <summary>The outcome of <see cref="ExactCalibration.Calibrate"/>.</summary>
/// <param name="BiasShift">New output bias minus the old one (0 if the preference was already met).</param>
/// <param name="Count">The exact count at the new bias: it meets the preference.</param>
/// <param name="CountOneStepShort">The exact count one bias step (a grid step or one float) less far: it does not, unless the shift is 0.</param>
/// <param name="Counts">How many exact counts the search made.</param>
public sealed record CalibrationResult(float BiasShift, CountResult Count, CountResult? CountOneStepShort, int Counts);

/// <summary>
/// The smallest change of the output bias that makes the exact count over the cube meet a preference — a
/// guarantee, not an estimate. The count moves monotonically with the bias for a monotone output activation, so an
/// exponential then binary search over bias steps finds the boundary; the result is checked: the count at the new
/// bias meets the target and the count one step short does not.
/// </summary>
/// <remarks>
/// For a network of one layer the output bias lies on <see cref="FixedPointGrid"/> and steps are 2^-16; each count
/// is a meet-in-the-middle pass (milliseconds). For deeper networks the bias steps through adjacent floats and each
/// count is a full enumeration, so use it where <see cref="CoverageCounter.Count"/> is affordable.
/// </remarks>
public static class ExactCalibration
{
    /// <summary>Shifts the output bias of <paramref name="network"/> to the smallest change that meets <paramref name="preference"/> exactly.</summary>
    /// <exception cref="ArgumentException">The preference is not one calibration can serve.</exception>
    /// <exception cref="InvalidOperationException">No bias meets the target (for example 100% of an interval no input reaches).</exception>
    public static CalibrationResult Calibrate(ITernaryNetwork network, Preference preference, CountOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preference);
        NetworkShape shape = network.Shape;
        (preference with { Method = EnforcementMethod.Calibration }).Validate(shape);
        if (preference.Distribution != PreferenceDistribution.UniformCube)
        {
            throw new ArgumentException($"{preference}: exact calibration counts the uniform cube.", nameof(preference));
        }

        float[] parameters = network.Parameters.ToArray();
        int biasIndex = shape.OutputLayer.BiasIndex(0);
        float original = parameters[biasIndex];
        bool grid = shape.Layers.Length == 1;
        long total = CoverageCounter.Pow3(shape.InputCount);
        (double lo, double hi) = preference.Bounds;
        (long minCount, long maxCount) = CountBounds(preference, total);
        if (minCount > maxCount)
        {
            throw new InvalidOperationException($"{preference}: no count of {total} inputs lies in [{lo}, {hi}].");
        }

        int counts = 0;
        var clock = Stopwatch.StartNew();
        MeetInTheMiddle.Halves? halves = null;
        long gridBias = 0;
        if (grid)
        {
            (int[] weights, gridBias) = CoverageCounter.FirstLayerIntegers(shape, parameters, 0);
            halves = MeetInTheMiddle.Prepare(weights, cancellationToken);
        }

        // Steps: multiples of 2^-16 on the grid, adjacent floats otherwise (as ordered integers).
        long Count(long step)
        {
            counts++;
            if (halves is not null)
            {
                return halves.Count(gridBias + step, shape.OutputLayer.Activation, preference.Interval, cancellationToken);
            }

            parameters[biasIndex] = BiasAt(original, step);
            network.SetParameters(parameters);
            return CoverageCounter.Count(network, preference, options, cancellationToken: cancellationToken).Count;
        }

        try
        {
            long current = Count(0);
            if (current >= minCount && current <= maxCount)
            {
                Restore(network, parameters, biasIndex, original);
                return new CalibrationResult(0, Result(current), null, counts);
            }

            // A higher bias raises a monotone output: more inputs above a value, fewer below one.
            bool above = double.IsPositiveInfinity(preference.Interval.Upper);
            bool needMore = current < minCount;
            long direction = above == needMore ? 1 : -1;
            bool Meets(long step)
            {
                long c = Count(step);
                return needMore ? c >= minCount : c <= maxCount;
            }

            long limit = grid ? (1L << 24) : (1L << 31);
            long far = FirstMeeting(Meets, 0, (int)direction, direction * limit)
                ?? throw new InvalidOperationException($"{preference}: no output bias within reach meets the target.");
            long found = Count(far);
            long shortCount = Count(far - direction);
            float bias = grid ? (float)(gridBias + far) * FixedPointGrid.Step : BiasAt(original, far);
            parameters[biasIndex] = bias;
            if (grid && !FixedPointGrid.IsFirstLayerOnGrid(shape, parameters))
            {
                throw new InvalidOperationException($"{preference}: the calibrated bias {bias} leaves the exact grid (the neuron's weights sum to the limit).");
            }

            network.SetParameters(parameters);
            return new CalibrationResult(bias - original, Result(found), Result(shortCount), counts);
        }
        catch
        {
            Restore(network, parameters, biasIndex, original);
            throw;
        }
        finally
        {
            halves?.Dispose();
        }

        CountResult Result(long count) =>
            new(count, total, grid ? CountMethod.MeetInTheMiddle : CountMethod.Enumeration, clock.Elapsed, 0);
    }

    /// <summary>The counts of the 3^n inputs that meet the preference's rate bounds: [minCount, maxCount].</summary>
    internal static (long MinCount, long MaxCount) CountBounds(Preference preference, long total)
    {
        (double lo, double hi) = preference.Bounds;
        return ((long)Math.Ceiling((lo * total) - 1e-9), (long)Math.Floor((hi * total) + 1e-9));
    }

    /// <summary>
    /// The first of from + direction·k (k = 1, 2, …, up to and including <paramref name="last"/>) where
    /// <paramref name="meets"/> holds, assuming it holds from some point on: steps doubling from
    /// <paramref name="from"/>, then a bisection; null if it does not hold at <paramref name="last"/>.
    /// </summary>
    internal static long? FirstMeeting(Func<long, bool> meets, long from, int direction, long last)
    {
        long near = from, far;
        for (long step = 1; ; step *= 2)
        {
            far = from + (direction * step);
            if (direction * (far - last) >= 0)
            {
                far = last;
                if (!meets(far))
                {
                    return null;
                }

                break;
            }

            if (meets(far))
            {
                break;
            }

            near = far;
        }

        while (Math.Abs(far - near) > 1)
        {
            long mid = near + ((far - near) / 2);
            if (meets(mid))
            {
                far = mid;
            }
            else
            {
                near = mid;
            }
        }

        return far;
    }

    /// <summary>The float <paramref name="steps"/> floats away from <paramref name="origin"/> (negative: downwards).</summary>
    private static float BiasAt(float origin, long steps)
    {
        // Adjacent floats are adjacent ordered integers (NeuronMembership.Ordered).
        long moved = NeuronMembership.Ordered(origin) + steps;
        float result = moved < int.MinValue || moved > int.MaxValue ? float.NaN : NeuronMembership.FromOrdered(moved);
        return float.IsFinite(result) ? result : throw new InvalidOperationException("The output bias search left the finite floats.");
    }

    private static void Restore(ITernaryNetwork network, float[] parameters, int biasIndex, float original)
    {
        parameters[biasIndex] = original;
        network.SetParameters(parameters);
    }
}
