using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using GenBias.Generators.Helpers;

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
    /// Reads a GenBias model file (format version 1, as ModelFile.Save writes it) with the same rules as the runtime's
    /// ModelFile.Load: exact activation and enum names, the parameter count of the shape, finite parameters, the
    /// shape limits. Errors name the JSON line and position.
    /// </summary>
    internal static class ModelFileReader
    {
        public const int FormatVersion = 1;

        /// <summary>The content, or null with <paramref name="error"/> set.</summary>
        public static ModelContent? Read(string text, out string error)
        {
            try
            {
                JsonValue root = JsonReader.Parse(text);
                error = "";
                return Content(root);
            }
            catch (JsonError e)
            {
                error = $"line {e.Line}, position {e.Column}: {e.Message}";
                return null;
            }
        }

        private static ModelContent Content(JsonValue root)
        {
            Expect(root, JsonKind.Object, "the file");
            foreach (KeyValuePair<string, JsonValue> member in root.Members)
            {
                if (member.Key != "formatVersion" && member.Key != "shape" && member.Key != "parameters" && member.Key != "preferences" && member.Key != "training")
                {
                    throw At(member.Value, $"unknown property '{member.Key}' (a model file has formatVersion, shape, parameters, preferences, training)");
                }
            }

            JsonValue version = Required(root, "formatVersion", "the file");
            int formatVersion = Integer(version, "formatVersion");
            if (formatVersion != FormatVersion)
            {
                throw At(version, formatVersion > FormatVersion
                    ? $"format version {formatVersion} was written by a newer GenBias; this one reads version {FormatVersion}"
                    : $"format version {formatVersion} is not supported (expected {FormatVersion})");
            }

            var content = new ModelContent();
            JsonValue shape = Required(root, "shape", "the file");
            Expect(shape, JsonKind.Object, "shape");
            JsonValue inputs = Required(shape, "inputs", "shape");
            content.Inputs = Integer(inputs, "shape.inputs");
            if (content.Inputs < 1 || content.Inputs > ShapeRules.MaxInputs)
            {
                throw At(inputs, $"shape.inputs is {content.Inputs}; a network has 1 to {ShapeRules.MaxInputs} inputs");
            }

            JsonValue layers = Required(shape, "layers", "shape");
            Expect(layers, JsonKind.Array, "shape.layers");
            if (layers.Items.Count == 0 || layers.Items.Count > ShapeRules.MaxLayers)
            {
                throw At(layers, $"shape.layers has {layers.Items.Count} layers; a network has 1 to {ShapeRules.MaxLayers}");
            }

            int layerInputs = content.Inputs;
            long parameterCount = 0;
            for (int i = 0; i < layers.Items.Count; i++)
            {
                JsonValue layer = layers.Items[i];
                string where = $"shape.layers[{i}]";
                Expect(layer, JsonKind.Object, where);
                JsonValue widthValue = Required(layer, "width", where);
                int width = Integer(widthValue, where + ".width");
                if (width < 1 || width > ShapeRules.MaxWidth)
                {
                    throw At(widthValue, $"{where}.width is {width}; a layer has 1 to {ShapeRules.MaxWidth} neurons");
                }

                string activation = Name(Required(layer, "activation", where), where + ".activation", TernaryNetworkGenerator.ActivationNames);
                content.Layers.Add(new LayerModel(i, layerInputs, width, activation));
                parameterCount += ((long)layerInputs * width) + width;
                layerInputs = width;
            }

            JsonValue parameters = Required(root, "parameters", "the file");
            Expect(parameters, JsonKind.Array, "parameters");
            if (parameters.Items.Count != parameterCount)
            {
                throw At(parameters, $"{parameters.Items.Count} parameters, but the shape {content.DescribeShape()} has {parameterCount}");
            }

            content.ParameterBits = new int[parameters.Items.Count];
            for (int p = 0; p < parameters.Items.Count; p++)
            {
                JsonValue value = parameters.Items[p];
                if (value.Kind != JsonKind.Number ||
                    !float.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) ||
                    float.IsNaN(f) || float.IsInfinity(f))
                {
                    throw At(value, $"parameters[{p}] is {(value.Kind == JsonKind.Number ? value.Text : value.Kind.ToString().ToLowerInvariant())}, not a finite float");
                }

                content.ParameterBits[p] = System.BitConverter.ToInt32(System.BitConverter.GetBytes(f), 0);
            }

            content.OffGrid = CheckGrid(content);
            JsonValue? preferences = root["preferences"];
            if (preferences != null && preferences.Kind != JsonKind.Null)
            {
                Expect(preferences, JsonKind.Array, "preferences");
                for (int i = 0; i < preferences.Items.Count; i++)
                {
                    content.Preferences.Add(Preference(preferences.Items[i], $"preferences[{i}]", content));
                }
            }

            return content;
        }

        private static PreferenceModel Preference(JsonValue value, string where, ModelContent content)
        {
            Expect(value, JsonKind.Object, where);
            int layer = value["layer"] is JsonValue l ? Integer(l, where + ".layer") : -1;
            int layerIndex = layer < 0 ? content.Layers.Count + layer : layer;
            if (layerIndex < 0 || layerIndex >= content.Layers.Count)
            {
                throw At(value["layer"] ?? value, $"{where}.layer is {layer}; the network has layers 0..{content.Layers.Count - 1} (or -1 for the output)");
            }

            bool all = value["allNeurons"] is JsonValue a && Boolean(a, where + ".allNeurons");
            int neuron = value["neuron"] is JsonValue n && n.Kind != JsonKind.Null ? Integer(n, where + ".neuron") : 0;
            if (!all && (neuron < 0 || neuron >= content.Layers[layerIndex].Width))
            {
                throw At(value["neuron"] ?? value, $"{where}.neuron is {neuron}; layer {layerIndex} has neurons 0..{content.Layers[layerIndex].Width - 1}");
            }

            double lower = value["lower"] is JsonValue lo && lo.Kind != JsonKind.Null ? Number(lo, where + ".lower") : double.NegativeInfinity;
            double upper = value["upper"] is JsonValue up && up.Kind != JsonKind.Null ? Number(up, where + ".upper") : double.PositiveInfinity;
            if (!(lower <= upper))
            {
                throw At(value, $"{where}: the interval from {lower} to {upper} is empty");
            }

            bool lowerInclusive = value["lowerInclusive"] is JsonValue li && Boolean(li, where + ".lowerInclusive");
            bool upperInclusive = value["upperInclusive"] is JsonValue ui && Boolean(ui, where + ".upperInclusive");
            string relation = Name(Required(value, "relation", where), where + ".relation", TernaryNetworkGenerator.Relations);
            double target = value["target"] is JsonValue t ? Number(t, where + ".target") : 0;
            double tolerance = value["tolerance"] is JsonValue tol ? Number(tol, where + ".tolerance") : 0;
            if (!(target >= 0 && target <= 1) || !(tolerance >= 0 && tolerance <= 1))
            {
                throw At(value, $"{where}: target {target} and tolerance {tolerance} must lie in [0, 1]");
            }

            string distribution = value["distribution"] is JsonValue d ? Name(d, where + ".distribution", TernaryNetworkGenerator.Distributions) : "UniformCube";
            string method = value["method"] is JsonValue m ? Name(m, where + ".method", TernaryNetworkGenerator.Methods) : "ProxyLagrangian";
            var probabilities = new List<double>();
            if (value["inputProbabilities"] is JsonValue ps && ps.Kind != JsonKind.Null)
            {
                Expect(ps, JsonKind.Array, where + ".inputProbabilities");
                probabilities.AddRange(ps.Items.Select((p, i) => Number(p, $"{where}.inputProbabilities[{i}]")));
            }

            if (distribution == "Product" && probabilities.Count != 3 && probabilities.Count != 3 * content.Inputs)
            {
                throw At(value, $"{where}: a product distribution needs 3 or {3 * content.Inputs} inputProbabilities, not {probabilities.Count}");
            }

            return new PreferenceModel(layer, all ? -1 : neuron, lower, upper, relation, target, tolerance, distribution, method)
            {
                LowerInclusive = lowerInclusive,
                UpperInclusive = upperInclusive,
                Probabilities = new EquatableArray<double>(probabilities),
            };
        }

        /// <summary>FixedPointGrid.IsFirstLayerOnGrid: multiples of 2^-16 whose absolute sums stay below 256.</summary>
        private static string? CheckGrid(ModelContent content)
        {
            LayerModel first = content.Layers[0];
            int n = content.Inputs;
            for (int k = 0; k < first.Width; k++)
            {
                double sum = 0;
                for (int i = 0; i <= n; i++)
                {
                    int index = i < n ? (k * n) + i : (first.Width * n) + k;
                    float v = System.BitConverter.ToSingle(System.BitConverter.GetBytes(content.ParameterBits[index]), 0);
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

        private static JsonValue Required(JsonValue owner, string name, string where) =>
            owner[name] ?? throw At(owner, $"{where} has no '{name}'");

        private static void Expect(JsonValue value, JsonKind kind, string where)
        {
            if (value.Kind != kind)
            {
                throw At(value, $"{where} is {Article(value.Kind)}, expected {Article(kind)}");
            }
        }

        private static string Article(JsonKind kind) => kind switch
        {
            JsonKind.Object => "an object",
            JsonKind.Array => "an array",
            JsonKind.Null => "null",
            _ => "a " + kind.ToString().ToLowerInvariant(),
        };

        private static int Integer(JsonValue value, string where)
        {
            if (value.Kind != JsonKind.Number || !int.TryParse(value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int result))
            {
                throw At(value, $"{where} must be a whole number, not {(value.Kind == JsonKind.Number ? value.Text : Article(value.Kind))}");
            }

            return result;
        }

        private static double Number(JsonValue value, string where)
        {
            if (value.Kind != JsonKind.Number || !double.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double result) || double.IsInfinity(result))
            {
                throw At(value, $"{where} must be a finite number");
            }

            return result;
        }

        private static bool Boolean(JsonValue value, string where)
        {
            if (value.Kind != JsonKind.Boolean)
            {
                throw At(value, $"{where} must be true or false");
            }

            return value.Boolean;
        }

        /// <summary>A member's exact name (case aside), as the runtime's loader accepts it.</summary>
        private static string Name(JsonValue value, string where, string[] names)
        {
            if (value.Kind == JsonKind.String)
            {
                foreach (string name in names)
                {
                    if (string.Equals(name, value.Text, System.StringComparison.OrdinalIgnoreCase))
                    {
                        return name;
                    }
                }
            }

            throw At(value, $"{where} is {(value.Kind == JsonKind.String ? "'" + value.Text + "'" : Article(value.Kind))}; expected one of {string.Join(", ", names)}");
        }

        private static JsonError At(JsonValue value, string message) => new JsonError(message, value.Line, value.Column);
    }
}
