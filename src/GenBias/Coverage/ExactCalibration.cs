using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace GenBias;

/// <summary>The outcome of <see cref="ExactCalibration.Calibrate"/>.</summary>
/// <param name="BiasShift">New output bias minus the old one (0 if the preference was already met).</param>
/// <param name="Count">The exact count at the new bias: it meets the preference.</param>
/// <param name="CountOneStepShort">The exact count one bias step (a grid step or one float) less far: it does not, unless the shift is 0.</param>
/// <param name="Counts">How many exact counts the search made.</param>
public sealed record CalibrationResult(float BiasShift, CountResult Count, CountResult? CountOneStepShort, int Counts)
{
    /// <summary>One line: the shift, the exact count it gives, the count one step short, and how many counts it took.</summary>
    public override string ToString()
    {
        System.Globalization.CultureInfo c = System.Globalization.CultureInfo.InvariantCulture;
        string shift = BiasShift == 0 ? "output bias unchanged (the preference was already met)" : string.Create(c, $"output bias shifted by {BiasShift:G6}");
        string shortOf = CountOneStepShort is null ? "" : string.Create(c, $"; one bias step less: {CountOneStepShort.Count:N0} of {CountOneStepShort.Total:N0} = {CountOneStepShort.Fraction:P4}");
        return string.Create(c, $"{shift}: {Count.Count:N0} of {Count.Total:N0} = {Count.Fraction:P4}, counted exactly{shortOf}; {Counts} count{(Counts == 1 ? "" : "s")}");
    }
}

/// <summary>
/// The smallest change of the output bias that makes the exact count over the cube meet a preference — a
/// guarantee, not an estimate. The count moves monotonically with the bias for a monotone output activation, so an
/// exponential then binary search over bias steps finds the boundary; the result is checked: the count at the new
/// bias meets the target and the count one step short does not.
/// </summary>
/// <remarks>
/// <para>For a network of one layer the output bias lies on <see cref="FixedPointGrid"/> and steps are 2^-16; each count
/// is a meet-in-the-middle pass (milliseconds).</para>
/// <para>For deeper networks the bias steps through adjacent floats. The output's pre-activation before its bias does not
/// depend on the bias, so the cube is enumerated once into a histogram of it (<c>OutputSums</c>), and every candidate
/// bias is counted from the histogram in microseconds; a second pass counts, float by float, the few histogram
/// buckets the search needs exactly. Two passes of plain enumeration (a few nanoseconds per input and thread) replace
/// some forty counts. <see cref="ProjectedSeconds"/> says how long that takes before it starts.</para>
/// </remarks>
public static class ExactCalibration
{
    /// <summary>Shifts the output bias of <paramref name="network"/> to the smallest change that meets <paramref name="preference"/> exactly.</summary>
    /// <param name="network">The network; its output bias is changed in place (restored if the calibration fails).</param>
    /// <param name="preference">A preference on the single output neuron over the uniform cube.</param>
    /// <param name="options">The counter's options (threads).</param>
    /// <param name="progress">Progress of the passes over the cube: <see cref="CountProgress.SubCubesDone"/> of
    /// <see cref="CountProgress.SubCubesTotal"/> in thousandths of a pass, with the time left.</param>
    /// <param name="cancellationToken">Cancels the passes.</param>
    /// <exception cref="ArgumentException">The preference is not one calibration can serve.</exception>
    /// <exception cref="InvalidOperationException">No bias meets the target (for example 100% of an interval no input reaches).</exception>
    public static CalibrationResult Calibrate(ITernaryNetwork network, Preference preference, CountOptions? options = null,
        IProgress<CountProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Checked(network, preference);
        NetworkShape shape = network.Shape;
        if (shape.Layers.Length == 1)
        {
            return ByRecounting(network, preference, options, cancellationToken);
        }

        return FromSums(network, preference, options, progress, cancellationToken, out _)
            ?? ByRecounting(network, preference, options, cancellationToken);
    }

    /// <summary>
    /// The calibration of a layered network from the histogram of its output's pre-activation before the bias, or null
    /// where the histogram cannot serve (some pre-activation is NaN, or the search needs more buckets than one pass
    /// counts exactly): then count at every step.
    /// </summary>
    internal static CalibrationResult? FromSums(ITernaryNetwork network, Preference preference, CountOptions? options,
        IProgress<CountProgress>? progress, CancellationToken cancellationToken, out int passes)
    {
        NetworkShape shape = network.Shape;
        options ??= new CountOptions();
        options.Validate();
        float[] parameters = CoverageCounter.Countable(network, preference, shape.InputCount);
        var clock = Stopwatch.StartNew();
        OutputSums sums = OutputSums.Count(shape, parameters, options.MaxParallelism, progress, cancellationToken);
        passes = sums.Passes;
        if (sums.SawNaN)
        {
            return null;
        }

        int biasIndex = shape.OutputLayer.BiasIndex(0);
        float original = parameters[biasIndex];
        List<(long Low, long High)> members = NeuronMembership.FloatMembers(shape.OutputLayer.Activation, preference.Interval);
        (long Low, long High) Bounds(long step) => CountFromSums(sums, members, BiasAt(original, step));

        // A search needs a count the coarse histogram only bounds: count the buckets it needs exactly (one pass), and
        // search again. Rarely more than one such pass; a search that needs too many buckets counts the old way.
        for (int round = 0; round < 4; round++)
        {
            try
            {
                return Search(network, preference, Bounds, grid: false, gridBias: 0, original, clock);
            }
            catch (NeedsExactCount needs)
            {
                bool refined = sums.Refine(WindowBuckets(sums, members, original, preference, Bounds, needs.Step), options.MaxParallelism, cancellationToken);
                passes = sums.Passes;
                if (!refined)
                {
                    return null;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The projected seconds of <see cref="Calibrate"/>, or null if no exact calibration is possible (another
    /// distribution, too many inputs, a first layer off the grid). One layer (meet in the middle) is taken as instant;
    /// deeper networks are two passes over the cube, timed on a sample.
    /// </summary>
    public static double? ProjectedSeconds(ITernaryNetwork network, Preference preference, CountOptions? options = null)
    {
        Checked(network, preference);
        options ??= new CountOptions();
        NetworkShape shape = network.Shape;
        if (preference.Distribution != PreferenceDistribution.UniformCube || shape.InputCount > CoverageCounter.MaxInputs ||
            !FixedPointGrid.IsFirstLayerOnGrid(shape, network.Parameters))
        {
            return null;
        }

        if (shape.Layers.Length == 1 || shape.InputCount <= 10)
        {
            return 0;
        }

        double perInput = OutputSums.MeasureSecondsPerInput(shape, network.Parameters.ToArray());
        return 2 * perInput * CoverageCounter.Pow3(shape.InputCount) / Math.Max(1, Math.Min(options.MaxParallelism, Environment.ProcessorCount));
    }

    /// <summary>
    /// The calibration by a full exact count at every bias step the search tries (meet in the middle for one layer,
    /// <see cref="CoverageCounter.Count"/> otherwise): the method for one layer, and the reference the histogram is tested
    /// against.
    /// </summary>
    internal static CalibrationResult ByRecounting(ITernaryNetwork network, Preference preference, CountOptions? options, CancellationToken cancellationToken)
    {
        Checked(network, preference);
        NetworkShape shape = network.Shape;
        float[] parameters = network.Parameters.ToArray();
        int biasIndex = shape.OutputLayer.BiasIndex(0);
        float original = parameters[biasIndex];
        bool grid = shape.Layers.Length == 1;
        var clock = Stopwatch.StartNew();
        MeetInTheMiddle.Halves? halves = null;
        long gridBias = 0;
        if (grid)
        {
            (int[] weights, gridBias) = CoverageCounter.FirstLayerIntegers(shape, parameters, 0);
            halves = MeetInTheMiddle.Prepare(weights, cancellationToken);
        }

        // Steps: multiples of 2^-16 on the grid, adjacent floats otherwise (as ordered integers).
        (long, long) Count(long step)
        {
            long count;
            if (halves is not null)
            {
                count = halves.Count(gridBias + step, shape.OutputLayer.Activation, preference.Interval, cancellationToken);
            }
            else
            {
                parameters[biasIndex] = BiasAt(original, step);
                network.SetParameters(parameters);
                count = CoverageCounter.Count(network, preference, options, cancellationToken: cancellationToken).Count;
            }

            return (count, count);
        }

        try
        {
            return Search(network, preference, Count, grid, gridBias, original, clock);
        }
        finally
        {
            halves?.Dispose();
        }
    }

    private static void Checked(ITernaryNetwork network, Preference preference)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preference);
        (preference with { Method = EnforcementMethod.Calibration }).Validate(network.Shape);
        if (preference.Distribution != PreferenceDistribution.UniformCube)
        {
            throw new ArgumentException($"{preference}: exact calibration counts the uniform cube.", nameof(preference));
        }
    }

    /// <summary>
    /// The search over bias steps, given bounds on the count at each step (exact where equal): the current count; if it
    /// misses, the first step (doubling, then bisection) that meets; the counts there and one step short. Sets the
    /// network's bias to the result, or restores it on failure.
    /// </summary>
    /// <exception cref="NeedsExactCount">The bounds at a step do not decide what the search needs there.</exception>
    private static CalibrationResult Search(ITernaryNetwork network, Preference preference, Func<long, (long Low, long High)> bounds,
        bool grid, long gridBias, float original, Stopwatch clock)
    {
        NetworkShape shape = network.Shape;
        float[] parameters = network.Parameters.ToArray();
        int biasIndex = shape.OutputLayer.BiasIndex(0);
        long total = CoverageCounter.Pow3(shape.InputCount);
        (double lo, double hi) = preference.Bounds;
        (long minCount, long maxCount) = CountBounds(preference, total);
        if (minCount > maxCount)
        {
            throw new InvalidOperationException($"{preference}: no count of {total} inputs lies in [{lo}, {hi}].");
        }

        int counts = 0;
        long Exact(long step)
        {
            counts++;
            (long low, long high) = bounds(step);
            return low == high ? low : throw new NeedsExactCount(step);
        }

        try
        {
            counts++;
            (long nowLow, long nowHigh) = bounds(0);
            bool metNow = nowLow >= minCount && nowHigh <= maxCount;
            bool missedNow = nowHigh < minCount || nowLow > maxCount;
            if (!metNow && !missedNow)
            {
                throw new NeedsExactCount(0);
            }

            if (metNow)
            {
                long current = Exact(0);
                counts--;
                Restore(network, parameters, biasIndex, original);
                return new CalibrationResult(0, Result(current), null, counts);
            }

            // A higher bias raises a monotone output: more inputs above a value, fewer below one.
            bool above = double.IsPositiveInfinity(preference.Interval.Upper);
            bool needMore = nowHigh < minCount;
            long direction = above == needMore ? 1 : -1;
            bool Meets(long step)
            {
                counts++;
                (long low, long high) = bounds(step);
                if (needMore ? low >= minCount : high <= maxCount)
                {
                    return true;
                }

                return (needMore ? high < minCount : low > maxCount) ? false : throw new NeedsExactCount(step);
            }

            long limit = grid ? FixedPointGrid.MaxAbsoluteUnits : (1L << 31);
            long far = FirstMeeting(Meets, 0, (int)direction, direction * limit)
                ?? throw new InvalidOperationException($"{preference}: no output bias within reach meets the target.");
            long found = Exact(far);
            long shortCount = Exact(far - direction);
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

        CountResult Result(long count) =>
            new(count, total, grid ? CountMethod.MeetInTheMiddle : CountMethod.Enumeration, clock.Elapsed, 0);
    }

    /// <summary>Bounds on the count at output bias <paramref name="bias"/>: each member range of z is the range of s with fl(s + bias) in it.</summary>
    private static (long Low, long High) CountFromSums(OutputSums sums, List<(long Low, long High)> members, float bias)
    {
        long low = 0, high = 0;
        foreach ((long zLow, long zHigh) in members)
        {
            (long first, long last) = KeysInto(bias, zLow, zHigh);
            if (first > last)
            {
                continue;
            }

            (long upToLastLow, long upToLastHigh) = sums.AtMost(last);
            (long belowFirstLow, long belowFirstHigh) = sums.AtMost(first - 1);
            low += Math.Max(0, upToLastLow - belowFirstHigh);
            high += upToLastHigh - belowFirstLow;
        }

        return (low, Math.Min(high, sums.Total));
    }

    /// <summary>The ordered keys s whose fl(s + bias) lies in [zLow, zHigh] (ordered keys): first &gt; last if none.</summary>
    internal static (long First, long Last) KeysInto(float bias, long zLow, long zHigh)
    {
        long minKey = NeuronMembership.Ordered(float.NegativeInfinity), maxKey = NeuronMembership.Ordered(float.PositiveInfinity);
        long Z(long key) => NeuronMembership.Ordered(NeuronMembership.FromOrdered(key) + bias);

        // First key with Z ≥ zLow, last key with Z ≤ zHigh (Z is non-decreasing in the key).
        long lo = minKey, hi = maxKey + 1;
        while (lo < hi)
        {
            long mid = lo + ((hi - lo) / 2);
            if (Z(mid) >= zLow)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        long first = lo;
        lo = minKey - 1;
        hi = maxKey;
        while (lo < hi)
        {
            long mid = lo + ((hi - lo + 1) / 2);
            if (Z(mid) <= zHigh)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return (first, lo);
    }

    /// <summary>
    /// The histogram buckets that counts at the steps a search is likely to need fall into: step 0, the failing
    /// <paramref name="step"/> and its neighbours, and — once the direction is known from the bounds — every step between
    /// where the target could first be met (optimistic bounds) and where it certainly is (pessimistic ones).
    /// </summary>
    private static IEnumerable<int> WindowBuckets(OutputSums sums, List<(long Low, long High)> members, float original, Preference preference,
        Func<long, (long Low, long High)> bounds, long step)
    {
        long total = sums.Total;
        (long minCount, long maxCount) = CountBounds(preference, total);
        var steps = new List<(long From, long To)> { (0, 0), (step - 1, step + 1) };
        (long nowLow, long nowHigh) = bounds(0);
        if (nowHigh < minCount || nowLow > maxCount)
        {
            bool above = double.IsPositiveInfinity(preference.Interval.Upper);
            bool needMore = nowHigh < minCount;
            int direction = above == needMore ? 1 : -1;
            long limit = 1L << 31;
            bool Maybe(long s) { (long low, long high) = bounds(s); return needMore ? high >= minCount : low <= maxCount; }
            bool Surely(long s) { (long low, long high) = bounds(s); return needMore ? low >= minCount : high <= maxCount; }
            try
            {
                if (FirstMeeting(Maybe, 0, direction, direction * limit) is long first)
                {
                    long last = FirstMeeting(Surely, 0, direction, direction * limit) ?? first;
                    steps.Add((Math.Min(first - direction, last), Math.Max(first - direction, last)));
                }
            }
            catch (InvalidOperationException)
            {
                // The bias left the finite floats: the search itself will say so.
            }
        }

        var buckets = new HashSet<int>();
        foreach ((long from, long to) in steps)
        {
            float a, b;
            try
            {
                a = BiasAt(original, from);
                b = BiasAt(original, to);
            }
            catch (InvalidOperationException)
            {
                continue;
            }

            foreach ((long zLow, long zHigh) in members)
            {
                // Each end of the range of s moves monotonically with the bias: the buckets between its places at the two
                // ends of the steps.
                (long firstA, long lastA) = KeysInto(a, zLow, zHigh);
                (long firstB, long lastB) = KeysInto(b, zLow, zHigh);
                AddBetween(buckets, firstA - 1, firstB - 1);
                AddBetween(buckets, lastA, lastB);
                if (buckets.Count > OutputSums.MaxWindowBuckets * 4)
                {
                    return buckets;
                }
            }
        }

        return buckets;
    }

    private static void AddBetween(HashSet<int> buckets, long keyA, long keyB)
    {
        long low = Math.Clamp(Math.Min(keyA, keyB), int.MinValue, int.MaxValue), high = Math.Clamp(Math.Max(keyA, keyB), int.MinValue, int.MaxValue);
        int first = OutputSums.Bucket(low), last = OutputSums.Bucket(high);
        for (int b = first; b <= last && buckets.Count <= OutputSums.MaxWindowBuckets * 4; b++)
        {
            buckets.Add(b);
        }
    }

    /// <summary>A count the search needs is only bounded so far.</summary>
    private sealed class NeedsExactCount(long step) : Exception
    {
        public long Step { get; } = step;
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
    internal static float BiasAt(float origin, long steps)
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
