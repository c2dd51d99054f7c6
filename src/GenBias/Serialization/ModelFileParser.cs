// This file is compiled into both the runtime (GenBias: ModelFile.Load) and the source generator (GenBias.Generators,
// as a linked file: [TernaryNetwork(Model = "…")]), so a model file is accepted or refused by one set of rules, with
// one message, wherever it is read. It must stay valid C# for netstandard2.0: no spans, no runtime types.
using System.Collections.Generic;
using System.Globalization;

namespace GenBias.Serialization
{
    /// <summary>One dense layer of a model file.</summary>
    internal sealed class ModelFileLayer
    {
        public ModelFileLayer(int width, string activation)
        {
            Width = width;
            Activation = activation;
        }

        public int Width { get; }

        /// <summary>The exact name of a member of GenBias.Activation.</summary>
        public string Activation { get; }
    }

    /// <summary>A model file's "training" object.</summary>
    internal sealed class ModelFileTraining
    {
        public ulong Seed { get; set; }

        public int Epochs { get; set; }

        public int SelectedEpoch { get; set; }

        public double TrainAccuracy { get; set; }

        public double? ValidationAccuracy { get; set; }

        public string? Settings { get; set; }
    }

    /// <summary>A model file's content, checked: the shape, the parameters, the preferences, the training metadata.</summary>
    internal sealed class ModelFileContent
    {
        public int Inputs { get; set; }

        /// <summary>The file's format version, which names the activation math it was written under (1 or 2).</summary>
        public int FormatVersion { get; set; }

        public List<ModelFileLayer> Layers { get; } = new List<ModelFileLayer>();

        public float[] Parameters { get; set; } = new float[0];

        public List<PreferenceFacts> Preferences { get; } = new List<PreferenceFacts>();

        public ModelFileTraining? Training { get; set; }

        /// <summary>The shape as NetworkShape.ToString writes it: "25 → Dense(16, Tanh) → Dense(1, Tanh)".</summary>
        public string DescribeShape()
        {
            var parts = new List<string> { Inputs.ToString(CultureInfo.InvariantCulture) };
            foreach (ModelFileLayer layer in Layers)
            {
                parts.Add($"Dense({layer.Width.ToString(CultureInfo.InvariantCulture)}, {layer.Activation})");
            }

            return string.Join(" → ", parts);
        }
    }

    /// <summary>Why a model file was refused, and where (1-based line and position).</summary>
    internal sealed class ModelFileProblem
    {
        public ModelFileProblem(string message, int line, int column, bool isSyntax)
        {
            Message = message;
            Line = line;
            Column = column;
            IsSyntax = isSyntax;
        }

        public string Message { get; }

        public int Line { get; }

        public int Column { get; }

        /// <summary>True when the text is not well-formed JSON (truncated or edited), false when the JSON is not a valid model.</summary>
        public bool IsSyntax { get; }

        public override string ToString() => $"line {Line}, position {Column}: {Message}";
    }

    /// <summary>
    /// Reads a GenBias model file (format version 2, as ModelFile.Save writes it, or 1: the same fields, evaluated
    /// under activation math version 1 when written). Strict: well-formed JSON without
    /// duplicate property names (a leading byte order mark is allowed), no unknown property at any level, exact
    /// (case-sensitive) enum names, the shape limits of ShapeRules, exactly the shape's number of finite float
    /// parameters, every preference valid for the shape (PreferenceRules), a training object of the documented types.
    /// </summary>
    internal static class ModelFileParser
    {
        /// <summary>The format version written: 2, whose networks are evaluated under activation math version 2.</summary>
        public const int FormatVersion = 2;

        /// <summary>The oldest format version read: 1, written under activation math version 1 (same fields).</summary>
        public const int OldestFormatVersion = 1;

        private static readonly string[] RootMembers = { "formatVersion", "shape", "parameters", "preferences", "training" };
        private static readonly string[] ShapeMembers = { "inputs", "layers" };
        private static readonly string[] LayerMembers = { "width", "activation" };
        private static readonly string[] PreferenceMembers =
        {
            "layer", "neuron", "allNeurons", "lower", "upper", "lowerInclusive", "upperInclusive", "relation", "target", "tolerance",
            "distribution", "inputProbabilities", "method",
        };

        private static readonly string[] TrainingMembers = { "seed", "epochs", "selectedEpoch", "trainAccuracy", "validationAccuracy", "settings" };

        /// <summary>The content, or null with <paramref name="problem"/> set.</summary>
        public static ModelFileContent? Parse(string text, out ModelFileProblem? problem)
        {
            JsonValue root;
            try
            {
                root = JsonReader.Parse(text);
            }
            catch (JsonError e)
            {
                problem = new ModelFileProblem(e.Message, e.Line, e.Column, isSyntax: true);
                return null;
            }

            try
            {
                problem = null;
                return Content(root);
            }
            catch (JsonError e)
            {
                problem = new ModelFileProblem(e.Message, e.Line, e.Column, isSyntax: false);
                return null;
            }
        }

        /// <summary>What parameter <paramref name="index"/> is, as ParameterPacking.Describe writes it: "layer 0, neuron 3, weight of input 7".</summary>
        public static string DescribeParameter(int inputs, IReadOnlyList<int> widths, int index)
        {
            int offset = 0, layerInputs = inputs;
            for (int l = 0; l < widths.Count; l++)
            {
                int weights = layerInputs * widths[l];
                if (index < offset + weights)
                {
                    int within = index - offset;
                    return $"layer {l}, neuron {within / layerInputs}, weight of input {within % layerInputs}";
                }

                if (index < offset + weights + widths[l])
                {
                    return $"layer {l}, bias of neuron {index - offset - weights}";
                }

                offset += weights + widths[l];
                layerInputs = widths[l];
            }

            return "beyond the last parameter";
        }

        private static ModelFileContent Content(JsonValue root)
        {
            Expect(root, JsonKind.Object, "the file");
            OnlyKnown(root, "the file", "a model file", RootMembers);
            JsonValue version = Required(root, "formatVersion", "the file");
            int formatVersion = Integer(version, "formatVersion");
            if (formatVersion < OldestFormatVersion || formatVersion > FormatVersion)
            {
                throw At(version, formatVersion > FormatVersion
                    ? $"format version {formatVersion} was written by a newer GenBias; this one reads versions {OldestFormatVersion} to {FormatVersion}"
                    : $"format version {formatVersion} is not supported (this GenBias reads versions {OldestFormatVersion} to {FormatVersion})");
            }

            var content = new ModelFileContent { FormatVersion = formatVersion };
            JsonValue shape = Required(root, "shape", "the file");
            Expect(shape, JsonKind.Object, "shape");
            OnlyKnown(shape, "shape", "a shape", ShapeMembers);
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
            var widths = new List<int>();
            var activations = new List<string>();
            for (int i = 0; i < layers.Items.Count; i++)
            {
                JsonValue layer = layers.Items[i];
                string where = $"shape.layers[{i}]";
                Expect(layer, JsonKind.Object, where);
                OnlyKnown(layer, where, "a layer", LayerMembers);
                JsonValue widthValue = Required(layer, "width", where);
                int width = Integer(widthValue, where + ".width");
                if (width < 1 || width > ShapeRules.MaxWidth)
                {
                    throw At(widthValue, $"{where}.width is {width}; a layer has 1 to {ShapeRules.MaxWidth} neurons");
                }

                string activation = PreferenceRules.ActivationNames[Name(Required(layer, "activation", where), where + ".activation", PreferenceRules.ActivationNames)];
                content.Layers.Add(new ModelFileLayer(width, activation));
                widths.Add(width);
                activations.Add(activation);
                parameterCount += ((long)layerInputs * width) + width;
                layerInputs = width;
            }

            JsonValue parameters = Required(root, "parameters", "the file");
            Expect(parameters, JsonKind.Array, "parameters");
            if (parameters.Items.Count != parameterCount)
            {
                throw At(parameters, $"{parameters.Items.Count} parameters, but the shape {content.DescribeShape()} has {parameterCount}");
            }

            content.Parameters = new float[parameters.Items.Count];
            for (int p = 0; p < parameters.Items.Count; p++)
            {
                JsonValue value = parameters.Items[p];
                if (value.Kind != JsonKind.Number ||
                    !float.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) ||
                    float.IsNaN(f) || float.IsInfinity(f))
                {
                    throw At(value, $"parameters[{p}] ({DescribeParameter(content.Inputs, widths, p)}) is " +
                                    $"{(value.Kind == JsonKind.Number ? value.Text : Article(value.Kind))}, not a finite float");
                }

                content.Parameters[p] = f;
            }

            JsonValue? preferences = root["preferences"];
            if (preferences != null && preferences.Kind != JsonKind.Null)
            {
                Expect(preferences, JsonKind.Array, "preferences");
                for (int i = 0; i < preferences.Items.Count; i++)
                {
                    content.Preferences.Add(Preference(preferences.Items[i], $"preferences[{i}]", content.Inputs, widths, activations));
                }
            }

            JsonValue? training = root["training"];
            if (training != null && training.Kind != JsonKind.Null)
            {
                content.Training = Training(training);
            }

            return content;
        }

        private static PreferenceFacts Preference(JsonValue value, string where, int inputs, List<int> widths, List<string> activations)
        {
            Expect(value, JsonKind.Object, where);
            OnlyKnown(value, where, "a preference", PreferenceMembers);
            var facts = new PreferenceFacts
            {
                Layer = value["layer"] is JsonValue l ? Integer(l, where + ".layer") : -1,
                Lower = value["lower"] is JsonValue lo && lo.Kind != JsonKind.Null ? Number(lo, where + ".lower") : double.NegativeInfinity,
                Upper = value["upper"] is JsonValue up && up.Kind != JsonKind.Null ? Number(up, where + ".upper") : double.PositiveInfinity,
                LowerInclusive = value["lowerInclusive"] is JsonValue li && Boolean(li, where + ".lowerInclusive"),
                UpperInclusive = value["upperInclusive"] is JsonValue ui && Boolean(ui, where + ".upperInclusive"),
                Relation = Name(Required(value, "relation", where), where + ".relation", PreferenceRules.RelationNames),
                Target = value["target"] is JsonValue t ? Number(t, where + ".target") : 0,
                Tolerance = value["tolerance"] is JsonValue tol ? Number(tol, where + ".tolerance") : 0,
                Distribution = Name(Required(value, "distribution", where), where + ".distribution", PreferenceRules.DistributionNames),
                Method = Name(Required(value, "method", where), where + ".method", PreferenceRules.MethodNames),
            };
            bool all = value["allNeurons"] is JsonValue a && Boolean(a, where + ".allNeurons");
            int neuron = value["neuron"] is JsonValue n && n.Kind != JsonKind.Null ? Integer(n, where + ".neuron") : 0;
            facts.Neuron = all ? null : neuron;
            if (value["inputProbabilities"] is JsonValue ps && ps.Kind != JsonKind.Null)
            {
                Expect(ps, JsonKind.Array, where + ".inputProbabilities");
                var probabilities = new List<double>();
                for (int i = 0; i < ps.Items.Count; i++)
                {
                    probabilities.Add(Number(ps.Items[i], $"{where}.inputProbabilities[{i}]"));
                }

                facts.InputProbabilities = probabilities;
            }

            PreferenceVerdict verdict = PreferenceRules.Check(facts, inputs, widths, activations);
            if (!verdict.IsValid)
            {
                throw At(value, $"{where} is invalid: {verdict.Message}");
            }

            return facts;
        }

        private static ModelFileTraining Training(JsonValue value)
        {
            Expect(value, JsonKind.Object, "training");
            OnlyKnown(value, "training", "the training object", TrainingMembers);
            var training = new ModelFileTraining();
            if (value["seed"] is JsonValue seed)
            {
                if (seed.Kind != JsonKind.Number || !ulong.TryParse(seed.Text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong s))
                {
                    throw At(seed, $"training.seed must be a whole number from 0 to {ulong.MaxValue}, not {(seed.Kind == JsonKind.Number ? seed.Text : Article(seed.Kind))}");
                }

                training.Seed = s;
            }

            training.Epochs = value["epochs"] is JsonValue e ? Integer(e, "training.epochs") : 0;
            training.SelectedEpoch = value["selectedEpoch"] is JsonValue se ? Integer(se, "training.selectedEpoch") : 0;
            training.TrainAccuracy = value["trainAccuracy"] is JsonValue ta ? Number(ta, "training.trainAccuracy") : 0;
            training.ValidationAccuracy = value["validationAccuracy"] is JsonValue va && va.Kind != JsonKind.Null ? Number(va, "training.validationAccuracy") : (double?)null;
            if (value["settings"] is JsonValue settings && settings.Kind != JsonKind.Null)
            {
                Expect(settings, JsonKind.String, "training.settings");
                training.Settings = settings.Text;
            }

            return training;
        }

        private static void OnlyKnown(JsonValue owner, string where, string what, string[] known)
        {
            foreach (KeyValuePair<string, JsonValue> member in owner.Members)
            {
                if (System.Array.IndexOf(known, member.Key) < 0)
                {
                    throw At(member.Value, $"unknown property '{member.Key}' in {where} ({what} has {string.Join(", ", known)})");
                }
            }
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
            JsonKind.Boolean => "a boolean",
            JsonKind.Number => "a number",
            _ => "a string",
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
            if (value.Kind != JsonKind.Number || !double.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double result) ||
                double.IsInfinity(result) || double.IsNaN(result))
            {
                throw At(value, $"{where} must be a finite number, not {(value.Kind == JsonKind.Number ? value.Text : Article(value.Kind))}");
            }

            return result;
        }

        private static bool Boolean(JsonValue value, string where)
        {
            if (value.Kind != JsonKind.Boolean)
            {
                throw At(value, $"{where} must be true or false, not {(value.Kind == JsonKind.Number ? value.Text : Article(value.Kind))}");
            }

            return value.Boolean;
        }

        /// <summary>The index of a member's exact name (case matters: an edited value must not load as something else).</summary>
        private static int Name(JsonValue value, string where, string[] names)
        {
            if (value.Kind == JsonKind.String)
            {
                for (int i = 0; i < names.Length; i++)
                {
                    if (string.Equals(names[i], value.Text, System.StringComparison.Ordinal))
                    {
                        return i;
                    }
                }
            }

            throw At(value, $"{where} is {(value.Kind == JsonKind.String ? "'" + value.Text + "'" : Article(value.Kind))}; expected one of {string.Join(", ", names)}");
        }

        private static JsonError At(JsonValue value, string message) => new JsonError(message, value.Line, value.Column);
    }
}
