using System;
using System.Linq;
using System.Threading;

namespace GenBias;

/// <summary>
/// An exact count by enumeration split into its independent sub-cubes (the first <see cref="CountOptions.SplitDepth"/>
/// inputs of the counter's order fixed): the unit of work that threads, processes or a cluster can share. Counting
/// every sub-cube once and adding the results gives the count of <see cref="CoverageCounter.Count"/> (the same
/// options) exactly, whatever the order and wherever each one was counted.
/// </summary>
public sealed class CountPlan
{

    private readonly CoverageCounter.LayeredEnumerator _enumerator;

    private CountPlan(CoverageCounter.LayeredEnumerator enumerator, long subCubes, long cube, int neurons, string signature)
    {
        _enumerator = enumerator;
        SubCubes = subCubes;
        Cube = cube;
        Total = checked(cube * neurons);
        Signature = signature;
    }

    /// <summary>The number of sub-cubes (3^SplitDepth).</summary>
    public long SubCubes { get; }

    /// <summary>The inputs counted: 3^(inputs not fixed by the plan).</summary>
    public long Cube { get; }

    /// <summary>All (input, neuron) pairs: <see cref="Cube"/> times the preference's neurons.</summary>
    public long Total { get; }

    /// <summary>
    /// Names this exact piece of work: the shape, the preference, a hash of the parameter bits (with any fixed inputs
    /// folded in), the split and the input order. Two plans with the same signature count the same numbers.
    /// </summary>
    public string Signature { get; }

    /// <summary>
    /// The plan of an exact count of <paramref name="preference"/> over the inputs whose first
    /// <paramref name="fixedInputs"/>.Length inputs have the given values (none: the whole cube).
    /// </summary>
    /// <exception cref="ArgumentException">The preference is not over the uniform cube, too many inputs remain, a fixed value is not ternary, or every input is fixed.</exception>
    /// <exception cref="InvalidOperationException">The first layer is not on the grid.</exception>
    public static CountPlan Create(ITernaryNetwork network, Preference preference, CountOptions? options = null, ReadOnlySpan<sbyte> fixedInputs = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        options ??= new CountOptions();
        NetworkShape shape = network.Shape;
        int k = fixedInputs.Length;
        if (k >= shape.InputCount)
        {
            throw new ArgumentException($"{k} fixed inputs leave none of the {shape.InputCount} to count.", nameof(fixedInputs));
        }

        for (int i = 0; i < k; i++)
        {
            if (fixedInputs[i] is < -1 or > 1)
            {
                throw new ArgumentException($"fixedInputs[{i}] is {fixedInputs[i]}; inputs are -1, 0 or +1.", nameof(fixedInputs));
            }
        }

        float[] parameters = CoverageCounter.Countable(network, preference, shape.InputCount - k);
        // The fixed inputs folded into the first layer's biases: on the grid every sum is exact, so the reduced network
        // gives the bits of the full one on every input that agrees with the prefix.
        NetworkShape reduced = NetworkShape.Create(shape.InputCount - k, [.. shape.Layers.Select(l => (l.Width, l.Activation))]);
        float[] reducedParameters = new float[reduced.ParameterCount];
        LayerShape first = shape.Layers[0], firstReduced = reduced.Layers[0];
        for (int j = 0; j < first.Width; j++)
        {
            float bias = parameters[first.BiasIndex(j)];
            for (int i = 0; i < k; i++)
            {
                bias += fixedInputs[i] * parameters[first.WeightIndex(j, i)];
            }

            reducedParameters[firstReduced.BiasIndex(j)] = bias;
            for (int i = k; i < shape.InputCount; i++)
            {
                reducedParameters[firstReduced.WeightIndex(j, i - k)] = parameters[first.WeightIndex(j, i)];
            }
        }

        for (int l = 1; l < shape.Layers.Length; l++)
        {
            LayerShape layer = shape.Layers[l];
            Array.Copy(parameters, layer.WeightOffset, reducedParameters, reduced.Layers[l].WeightOffset, (layer.InputCount + 1) * layer.Width);
        }

        LayerShape target = shape.Layers[preference.ResolveLayer(shape)];
        int[] neurons = preference.Neuron is int single ? [single] : [.. Enumerable.Range(0, target.Width)];
        var enumerator = new CoverageCounter.LayeredEnumerator(reduced, reducedParameters, preference, neurons, options);
        return new CountPlan(enumerator, CoverageCounter.Pow3(enumerator.SplitDepth), CoverageCounter.Pow3(reduced.InputCount), neurons.Length,
            enumerator.Signature);
    }

    /// <summary>One line: "3,486,784,401 inputs in 243 sub-cubes of 14,348,907; 3,486,784,401 (input, neuron) pairs".</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Cube:N0} inputs in {SubCubes:N0} sub-cubes of {Cube / SubCubes:N0}; {Total:N0} (input, neuron) pairs");

    /// <summary>Counts sub-cube <paramref name="index"/> (0 ≤ index &lt; <see cref="SubCubes"/>) on this thread.</summary>
    /// <returns>The pairs meeting the preference, and the inputs decided by bounds without enumeration.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the plan.</exception>
    public (long Count, long Decided) CountSubCube(long index, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, SubCubes);
        return _enumerator.CountSubCube(index, cancellationToken);
    }
}
