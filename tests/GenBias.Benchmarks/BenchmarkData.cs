using System;
using System.Linq;

namespace GenBias.Benchmarks;

/// <summary>Seeded parameters and inputs shared by the benchmarks.</summary>
internal static class BenchmarkData
{
    public static float[] Parameters(NetworkShape shape, int seed)
    {
        var random = new Random(seed);
        float[] parameters = new float[shape.ParameterCount];
        foreach (LayerShape layer in shape.Layers)
        {
            float scale = 1f / MathF.Sqrt(layer.InputCount);
            for (int p = layer.WeightOffset; p < layer.BiasOffset + layer.Width; p++)
            {
                parameters[p] = (float)((random.NextDouble() * 2) - 1) * scale;
            }
        }

        FixedPointGrid.SnapFirstLayer(shape, parameters);
        return parameters;
    }

    public static sbyte[] Inputs(int rows, int width, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, rows * width).Select(_ => (sbyte)random.Next(-1, 2))];
    }
}
