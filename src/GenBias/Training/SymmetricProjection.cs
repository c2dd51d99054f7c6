using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;

namespace GenBias;

/// <summary>
/// Exact enforcement by symmetry for the output neuron of a network of any depth (docs/design/symmetric-projection.md):
/// with odd hidden activations and every hidden bias zero, the output's pre-activation less its bias, g(x), is odd in
/// the input as computed (g(−x) = −g(x)), so of every pair {x, −x} of the cube at least one has g ≥ 0, and the input 0
/// has g = 0. An output bias b with f(z) inside an interval open above for every float z ≥ b therefore puts at least
/// (3^n + 1)/2 of the 3^n inputs inside it, whatever the weights; likewise below. "At least τ" holds exactly for τ ≤ ½.
/// </summary>
/// <remarks>
/// It does not apply to hidden activations that are not odd (Sigmoid, ReLU), to hidden biases other than zero (the
/// trainer keeps them there), to targets above ½ (the construction guarantees half the cube and no more), nor to the
/// training data or a product distribution (neither is symmetric under x → −x in general).
/// </remarks>
public static class SymmetricProjection
{
    private static readonly ConcurrentDictionary<(Activation, ActivationInterval), float> Bounds = new();

    /// <summary>Whether <paramref name="preference"/> is a projection held by symmetry in <paramref name="shape"/> (not a first-layer one).</summary>
    public static bool Applies(NetworkShape shape, Preference preference)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(preference);
        return preference.Method == EnforcementMethod.Projection && preference.Check(shape).IsValid
            && PreferenceRules.IsSymmetricProjection(preference.ToFacts(), preference.ResolveLayer(shape),
                [.. shape.Layers.Select(l => l.Width)], [.. shape.Layers.Select(l => l.Activation.ToString())]);
    }

    /// <summary>
    /// Zeroes every hidden bias in <paramref name="parameters"/> and moves the output bias to
    /// <see cref="BiasBound"/> where it lies on the wrong side of it (never further): afterwards the preference holds
    /// over the cube exactly, whatever the weights.
    /// </summary>
    /// <exception cref="ArgumentException">The preference is not one symmetry holds in this shape.</exception>
    public static void Apply(NetworkShape shape, Span<float> parameters, Preference preference)
    {
        if (!Applies(shape, preference))
        {
            throw new ArgumentException($"{preference}: symmetry holds a projection on the single output of a network with odd hidden activations, \"at least\" a target of at most 0.5, over the cube.", nameof(preference));
        }

        if (parameters.Length != shape.ParameterCount)
        {
            throw new ArgumentException($"{parameters.Length} parameters; {shape} has {shape.ParameterCount}.", nameof(parameters));
        }

        for (int l = 0; l < shape.Layers.Length - 1; l++)
        {
            LayerShape layer = shape.Layers[l];
            parameters.Slice(layer.BiasOffset, layer.Width).Clear();
        }

        LayerShape output = shape.OutputLayer;
        bool above = IsOpenAbove(preference.Interval);
        float bound = BiasBound(output.Activation, preference.Interval);
        ref float bias = ref parameters[output.BiasIndex(0)];
        if (above ? !(bias >= bound) : !(bias <= bound))
        {
            bias = bound;
        }
    }

    /// <summary>
    /// For an interval open above, the least float b such that <paramref name="activation"/> (as computed) maps every
    /// float z ≥ b into <paramref name="interval"/>; for one open below, the largest b such that it maps every z ≤ b
    /// into it. Found by bisection; checked float by float only outside the ranges where the activation is exactly
    /// monotone (<see cref="ActivationMath.MonotoneRanges"/>: every float, for every activation of math version 2).
    /// </summary>
    /// <exception cref="ArgumentException">The interval is bounded on both sides, or no float reaches it.</exception>
    public static float BiasBound(Activation activation, ActivationInterval interval)
    {
        ArgumentNullException.ThrowIfNull(interval);
        if (double.IsInfinity(interval.Lower) == double.IsInfinity(interval.Upper))
        {
            throw new ArgumentException($"The interval {interval} must be open on exactly one side.", nameof(interval));
        }

        return Bounds.GetOrAdd((activation, interval), key => Search(key.Item1, key.Item2));
    }

    private static bool IsOpenAbove(ActivationInterval interval) => double.IsPositiveInfinity(interval.Upper);

    private static float Search(Activation activation, ActivationInterval interval)
    {
        // Walk the floats in order (an int key per float) toward the members: upward for an interval open above.
        int step = IsOpenAbove(interval) ? 1 : -1;
        int first = Key(step > 0 ? -float.MaxValue : float.MaxValue), last = Key(step > 0 ? float.MaxValue : -float.MaxValue);
        bool Member(int key) => interval.Contains(ActivationMath.Apply(activation, FromKey(key)));
        if (!Member(last))
        {
            throw new ArgumentException($"No pre-activation puts {activation} in {interval}.", nameof(interval));
        }

        // A crossing by bisection (the activation is monotone), then every float past it checked.
        int lo = first, hi = last;   // hi is a member; the answer is at or before it in walking order
        if (Member(first))
        {
            hi = first;
        }

        while (lo != hi && lo + step != hi)
        {
            int mid = (int)(((long)lo + hi) / 2);
            if (Member(mid))
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }

        // Every float from hi to the end must be a member: the last one that is not moves the bound past it.
        int bound = hi;
        (int Low, int High)[] monotone = [.. ActivationMath.MonotoneRanges(activation)
            .Select(r => (Key(Math.Max(r.Low, -float.MaxValue)), Key(Math.Min(r.High, float.MaxValue))))];
        for (long k = hi; step > 0 ? k <= last : k >= last; k += step)
        {
            int range = monotone.Length - 1;
            while (range >= 0 && !(monotone[range].Low <= k && k <= monotone[range].High))
            {
                range--;
            }

            if (range >= 0)
            {
                // Non-decreasing on the range: the members of an interval open above form its upper part, of one open
                // below its lower part — a suffix in walking order, found by bisection.
                int end = step > 0 ? monotone[range].High : monotone[range].Low;
                int a = (int)k, b = end;
                if (!Member(b))
                {
                    bound = b + step;
                }
                else if (!Member(a))
                {
                    while (a + step != b)
                    {
                        int mid = (int)(((long)a + b) / 2);
                        if (Member(mid))
                        {
                            b = mid;
                        }
                        else
                        {
                            a = mid;
                        }
                    }

                    bound = b;
                }

                k = end;
                continue;
            }

            if (!Member((int)k))
            {
                bound = (int)k + step;
            }
        }

        return FromKey(bound);
    }

    /// <summary>A key per float, increasing with the float (−0 and +0 share 0).</summary>
    private static int Key(float value)
    {
        int bits = BitConverter.SingleToInt32Bits(value);
        return bits >= 0 ? bits : int.MinValue - bits;
    }

    private static float FromKey(int key) => BitConverter.Int32BitsToSingle(key >= 0 ? key : int.MinValue - key);
}
