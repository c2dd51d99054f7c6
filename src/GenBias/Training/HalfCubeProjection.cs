using System;
using System.Collections.Concurrent;
using System.Collections.Generic;

namespace GenBias;

/// <summary>
/// The exact projection range, without counting, of a first-layer neuron's preference "in an interval open on one side
/// on at most (or at least) half of the cube": a bound on the bias alone, whatever the weights.
/// </summary>
/// <remarks>
/// <para>Proof. On the grid (<see cref="FixedPointGrid"/>) the neuron's pre-activation is exactly (S + B)·2^-16, with
/// S = Σ w_i x_i and B integers (steps) and |S + B| &lt; 2^24. Every activation is exactly non-decreasing on every float
/// (<see cref="ActivationMath"/>), so the integers z with f(z·2^-16) in an interval open above are those z ≥ Z, the
/// first member (<see cref="NeuronMembership.Members(Activation, ActivationInterval, long, long)"/> finds it, as the
/// counters do); for an interval open below, those z ≤ Z', the last member.</para>
/// <para>Over the uniform cube {−1, 0, 1}^n, x ↦ −x is a bijection with S(−x) = −S(x), so P(S &gt; c) = P(S &lt; −c) for
/// every c, and P(S = 0) ≥ 3^-n &gt; 0 (x = 0). For an integer c ≥ 0, P(S &gt; c) ≤ P(S &gt; 0) = (1 − P(S = 0))/2 &lt; ½;
/// for an integer c ≤ −1, P(S &gt; c) ≥ P(S ≥ 0) = (1 + P(S = 0))/2 &gt; ½. So P(S &gt; c) &lt; ½ exactly when c ≥ 0, and
/// &gt; ½ otherwise — never ½.</para>
/// <para>Open above: the rate is P(S + B ≥ Z) = P(S &gt; Z − B − 1), at most ½ exactly when B ≤ Z − 1, at least ½
/// exactly when B ≥ Z. Open below: the rate is P(S ≤ Z' − B) = P(S ≥ B − Z') (symmetry) = P(S &gt; B − Z' − 1), at most
/// ½ exactly when B ≥ Z' + 1, at least ½ exactly when B ≤ Z'. For a target other than ½ the same bound is only sound,
/// not tight (the rate's quantile depends on the weights): those keep counting.</para>
/// <para>Assumptions, guarded here: the target is exactly ½, the relation "at least" or "at most", the distribution the
/// cube, the neuron one of the first layer, the interval open on exactly one side, the activation exactly monotone on
/// every float (<see cref="ActivationMath.MonotoneRanges"/>) and its members one run reaching the open end. The
/// caller's weights and bias are on the grid; the range is cut to the biases the grid allows with them.</para>
/// </remarks>
internal static class HalfCubeProjection
{
    /// <summary>The largest |z| (steps) of a pre-activation on the grid.</summary>
    private const long GridReach = FixedPointGrid.MaxAbsoluteUnits - 1;

    private static readonly ConcurrentDictionary<(Activation, ActivationInterval), long> Edges = new();

    /// <summary>Whether the closed form decides <paramref name="preference"/> on its neuron in <paramref name="shape"/>.</summary>
    public static bool Applies(NetworkShape shape, Preference preference)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(preference);
        ActivationInterval interval = preference.Interval;
        return preference.Target == 0.5
            && preference.Relation is PreferenceRelation.AtLeast or PreferenceRelation.AtMost
            && preference.Distribution == PreferenceDistribution.UniformCube
            && preference.ResolveLayer(shape) == 0
            && (preference.Neuron is not null || shape.Layers[0].Width == 1)
            && interval is not null
            && ((double.IsPositiveInfinity(interval.Upper) && double.IsFinite(interval.Lower))
                || (double.IsNegativeInfinity(interval.Lower) && double.IsFinite(interval.Upper)))
            && MonotoneEverywhere(shape.Layers[0].Activation);
    }

    /// <summary>
    /// The biases (steps) at which the preference holds for a neuron whose weights reach Σ|w| = <paramref name="reach"/>
    /// steps: every bias up to an edge or from an edge (see remarks), within the grid's limit; null where none does.
    /// </summary>
    /// <exception cref="ArgumentException">The closed form does not decide this preference (<see cref="Applies"/>).</exception>
    public static (long Low, long High)? Range(NetworkShape shape, Preference preference, long reach)
    {
        if (!Applies(shape, preference))
        {
            throw new ArgumentException($"{preference}: the closed form needs a first-layer neuron, the cube, a target of exactly 0.5 (at least or at most), an interval open on one side and an exactly monotone activation.", nameof(preference));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(reach);
        Activation activation = shape.Layers[0].Activation;
        ActivationInterval interval = preference.Interval;
        bool openAbove = double.IsPositiveInfinity(interval.Upper);
        bool atMost = preference.Relation == PreferenceRelation.AtMost;
        long limit = FixedPointGrid.BiasLimit(reach);
        long edge = Edges.GetOrAdd((activation, interval), key => Edge(key.Item1, key.Item2));
        (long low, long high) = (-limit, limit);
        if (openAbove)
        {
            // Members: z ≥ edge, the first.
            (low, high) = atMost ? (low, Math.Min(high, edge - 1)) : (Math.Max(low, edge), high);
        }
        else
        {
            // Members: z ≤ edge, the last.
            (low, high) = atMost ? (Math.Max(low, edge + 1), high) : (low, Math.Min(high, edge));
        }

        return low <= high ? (low, high) : null;
    }

    /// <summary>
    /// For an interval open above, the first integer pre-activation (steps) on the grid whose activation is a member
    /// (past the grid's end where none is); for one open below, the last (before its start where none is). The same
    /// for every weight, so found once per activation and interval.
    /// </summary>
    private static long Edge(Activation activation, ActivationInterval interval)
    {
        bool openAbove = double.IsPositiveInfinity(interval.Upper);
        List<(long Low, long High)> members = NeuronMembership.Members(activation, interval, -GridReach, GridReach);
        if (members.Count > 1 || (members.Count == 1 && (openAbove ? members[0].High != GridReach : members[0].Low != -GridReach)))
        {
            throw new InvalidOperationException($"{activation}: the members of {interval} are not one run reaching its open end; the activation is not monotone as the closed form assumes.");
        }

        return openAbove
            ? (members.Count == 1 ? members[0].Low : GridReach + 1)
            : (members.Count == 1 ? members[0].High : -GridReach - 1);
    }

    /// <summary>
    /// Whether first-layer neuron <paramref name="neuron"/> of <paramref name="parameters"/> meets <paramref name="preference"/>
    /// by the closed form: the neuron on the grid and its bias in <see cref="Range"/>.
    /// </summary>
    public static bool Holds(NetworkShape shape, ReadOnlySpan<float> parameters, Preference preference, int neuron)
    {
        if (!Applies(shape, preference) || !FixedPointGrid.IsNeuronOnGrid(shape, parameters, neuron))
        {
            return false;
        }

        LayerShape first = shape.Layers[0];
        long reach = 0;
        for (int i = 0; i < first.InputCount; i++)
        {
            reach += Math.Abs((long)FixedPointGrid.ToUnits(parameters[first.WeightIndex(neuron, i)]));
        }

        long bias = FixedPointGrid.ToUnits(parameters[first.BiasIndex(neuron)]);
        return Range(shape, preference, reach) is (long low, long high) && low <= bias && bias <= high;
    }

    /// <summary>Whether the activation is exactly non-decreasing on every float (one range, −∞ to +∞).</summary>
    private static bool MonotoneEverywhere(Activation activation)
    {
        IReadOnlyList<(float Low, float High)> ranges = ActivationMath.MonotoneRanges(activation);
        return ranges.Count == 1 && float.IsNegativeInfinity(ranges[0].Low) && float.IsPositiveInfinity(ranges[0].High);
    }
}
