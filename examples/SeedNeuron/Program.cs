using System.Linq;
using System;
using GenBias;
using SeedNeuron;

// Until the trainer lands, the networks get fixed pseudo-random parameters on the exact first-layer grid.
var neuron = new SeedNeuronNetwork();
var hidden = new SeedHiddenNetwork();
neuron.SetParameters(RandomParameters(SeedNeuronNetwork.Shape, seed: 1));
hidden.SetParameters(RandomParameters(SeedHiddenNetwork.Shape, seed: 2));

Console.WriteLine($"SeedNeuronNetwork: {SeedNeuronNetwork.Shape}, {SeedNeuronNetwork.ParameterCount} parameters");
Console.WriteLine($"SeedHiddenNetwork: {SeedHiddenNetwork.Shape}, {SeedHiddenNetwork.ParameterCount} parameters");
Console.WriteLine();

var random = new Random(3);
sbyte[][] inputs =
[
    new sbyte[25],
    Filled(1),
    Filled(-1),
    .. Enumerable.Range(0, 3).Select(_ => RandomInput(random)),
];
Console.WriteLine($"{"input (+ - 0)",-28} {"neuron",10} {"25→16→1",10}");
foreach (sbyte[] input in inputs)
{
    string text = string.Concat(input.Select(v => v switch { 1 => '+', -1 => '-', _ => '0' }));
    Console.WriteLine($"{text,-28} {neuron.Forward(input),10:F6} {hidden.Forward(input),10:F6}");
}

static sbyte[] Filled(sbyte value) => Enumerable.Repeat(value, 25).ToArray();

static sbyte[] RandomInput(Random random) =>
    Enumerable.Range(0, 25).Select(_ => (sbyte)random.Next(-1, 2)).ToArray();

static float[] RandomParameters(NetworkShape shape, int seed)
{
    var random = new Random(seed);
    float[] parameters = new float[shape.ParameterCount];
    foreach (LayerShape layer in shape.Layers)
    {
        float scale = 1f / MathF.Sqrt(layer.InputCount);
        for (int p = layer.WeightOffset; p < layer.BiasOffset + layer.Width; p++)
        {
            parameters[p] = ((float)random.NextDouble() * 2f - 1f) * scale;
        }
    }

    FixedPointGrid.SnapFirstLayer(shape, parameters);
    return parameters;
}
