using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using GenBias.Generators.Helpers;
using GenBias.Serialization;

namespace GenBias.Generators
{
    /// <summary>A model file's content as the generator needs it: the shape, the parameters' bits, the preferences.</summary>
    internal sealed class ModelContent
    {
        public int Inputs { get; set; }

        public List<LayerModel> Layers { get; } = new List<LayerModel>();

        public int[] ParameterBits { get; set; } = new int[0];

        public List<PreferenceModel> Preferences { get; } = new List<PreferenceModel>();

        /// <summary>Null when the first layer is on FixedPointGrid, else why not.</summary>
        public string? OffGrid { get; set; }

        public string DescribeShape() =>
            $"{Inputs} inputs → " + string.Join(" → ", Layers.Select(l => $"Dense({l.Width}, {l.Activation})"));
    }

    /// <summary>
    /// Reads a GenBias model file with the runtime's own reader (ModelFileParser, linked from src/GenBias), so a file
    /// compiles in exactly when ModelFile.Load accepts it, refused with the same message; then turns the content into
    /// the generator's equatable models.
    /// </summary>
    internal static class ModelFileReader
    {
        /// <summary>The content, or null with <paramref name="error"/> set ("line L, position C: what is wrong").</summary>
        public static ModelContent? Read(string text, out string error)
        {
            ModelFileContent? file = ModelFileParser.Parse(text, out ModelFileProblem? problem);
            if (file == null)
            {
                error = problem!.ToString();
                return null;
            }

            error = "";
            var content = new ModelContent { Inputs = file.Inputs };
            int layerInputs = file.Inputs;
            for (int i = 0; i < file.Layers.Count; i++)
            {
                content.Layers.Add(new LayerModel(i, layerInputs, file.Layers[i].Width, file.Layers[i].Activation));
                layerInputs = file.Layers[i].Width;
            }

            content.ParameterBits = file.Parameters.Select(p => System.BitConverter.ToInt32(System.BitConverter.GetBytes(p), 0)).ToArray();
            foreach (PreferenceFacts p in file.Preferences)
            {
                content.Preferences.Add(new PreferenceModel(p.Layer, p.Neuron ?? -1, p.Lower, p.Upper, PreferenceRules.RelationNames[p.Relation],
                    p.Target, p.Tolerance, PreferenceRules.DistributionNames[p.Distribution], PreferenceRules.MethodNames[p.Method])
                {
                    LowerInclusive = p.LowerInclusive,
                    UpperInclusive = p.UpperInclusive,
                    Probabilities = new EquatableArray<double>(p.InputProbabilities?.ToArray() ?? new double[0]),
                });
            }

            content.OffGrid = CheckGrid(content.Inputs, content.Layers[0].Width, file.Parameters);
            return content;
        }

        /// <summary>FixedPointGrid.IsFirstLayerOnGrid: multiples of 2^-16 whose absolute sums stay below 256.</summary>
        private static string? CheckGrid(int n, int width, float[] parameters)
        {
            for (int k = 0; k < width; k++)
            {
                double sum = 0;
                for (int i = 0; i <= n; i++)
                {
                    int index = i < n ? (k * n) + i : (width * n) + k;
                    float v = parameters[index];
                    double scaled = (double)v * 65536.0;
                    if (scaled != System.Math.Round(scaled))
                    {
                        return $"parameters[{index}] = {v.ToString("R", CultureInfo.InvariantCulture)} is not a multiple of 2^-16";
                    }

                    sum += System.Math.Abs(v);
                }

                if (!(sum < 256))
                {
                    return $"neuron {k}'s absolute weights and bias sum to {sum}, not below 256";
                }
            }

            return null;
        }
    }
}
