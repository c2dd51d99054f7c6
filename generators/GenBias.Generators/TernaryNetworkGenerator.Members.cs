using System.Collections.Generic;
using System.Linq;
using GenBias.Generators.Helpers;

namespace GenBias.Generators
{
    // The network's constants (sizes, offsets, preferences, shape), its state and SetParameters, and the parameters of a
    // compiled-in model file.
    public sealed partial class TernaryNetworkGenerator
    {
        private static void EmitConstants(IndentedWriter w, NetworkModel model, List<LayerPlan> layers,
            int parameterCount, int activationCount, int packedSize, int scratchSize)
        {
            w.Line("/// <summary>The number of ternary inputs.</summary>");
            w.Member($"public const int InputCount = {model.Inputs};");
            w.Line();
            w.Line("/// <summary>The number of outputs (the width of the last layer).</summary>");
            w.Member($"public const int OutputCount = {layers[layers.Count - 1].Width};");
            w.Line();
            w.Line("/// <summary>The length of the canonical parameter buffer.</summary>");
            w.Member($"public const int ParameterCount = {parameterCount};");
            w.Line();
            w.Line("/// <summary>The number of neurons in all layers: the length of the buffer <see cref=\"ForwardActivations\"/> fills.</summary>");
            w.Member($"public const int ActivationCount = {activationCount};");
            w.Line();
            w.Line("/// <summary>The number of dense layers, hidden and output.</summary>");
            w.Member($"public const int LayerCount = {layers.Count};");
            foreach (LayerPlan l in layers)
            {
                w.Line();
                w.Line($"/// <summary>Layer {l.Index}, {l.Describe}: where neuron 0's weights start (neuron k's at + k * {l.Inputs}).</summary>");
                w.Member($"public const int {l.Name}WeightOffset = {l.WeightOffset};");
                w.Line();
                w.Line($"/// <summary>Layer {l.Index}: where its {l.Width} biases start in the parameter buffer.</summary>");
                w.Member($"public const int {l.Name}BiasOffset = {l.BiasOffset};");
                w.Line();
                w.Line($"/// <summary>Layer {l.Index}: where its {l.Width} outputs start in the buffer of all activations.</summary>");
                w.Member($"public const int {l.Name}ActivationOffset = {l.ActivationOffset};");
            }

            w.Line();
            w.Line("// The private packed copy of the parameters the SIMD code reads (see GenBias.CompilerServices.ShapeRules), and the scratch");
            w.Line("// buffers: the unpacked form of a packed input, and each layer's outputs padded to whole 16-float blocks.");
            w.Member($"private const int PackedSize = {packedSize};");
            w.Member($"private const int PackedBufferSize = {ShapeRules.DotStride(model.Inputs)};");
            w.Member($"private const int ScratchSize = {scratchSize};");
            foreach (LayerPlan l in layers)
            {
                w.Member($"private const int {l.Name}Packed = {l.PackedOffset};");
                w.Member($"private const int {l.Name}Scratch = {l.ScratchOffset};");
            }

            w.Line();
            w.Line(model.ModelFile != null
                ? "/// <summary>The preferences declared with [Prefer] (or else those of the model file), in order, for the trainer and the certifier.</summary>"
                : "/// <summary>The preferences declared with [Prefer], in declaration order, for the trainer and the certifier.</summary>");
            if (model.Preferences.Count == 0)
            {
                w.Member("public static Sys::Collections.Generic.IReadOnlyList<GB::Preference> Preferences { get; } = Sys::Array.Empty<GB::Preference>();");
            }
            else
            {
                w.Member("public static Sys::Collections.Generic.IReadOnlyList<GB::Preference> Preferences { get; } =");
                // An array initializer rather than a collection expression: generated code compiles from C# 8 on.
                w.Line("new GB::Preference[]");
                w.Line("{");
                foreach (PreferenceModel p in model.Preferences)
                {
                    w.Line($"    // {(model.ModelFile != null ? "Preference" : "[Prefer]")} on {(p.Layer == -1 ? "the output layer" : "layer " + p.Layer)}, {(p.Neuron < 0 ? "every neuron" : "neuron " + p.Neuron)}");
                    string inclusive = p.LowerInclusive || p.UpperInclusive ? $", {(p.LowerInclusive ? "true" : "false")}, {(p.UpperInclusive ? "true" : "false")}" : "";
                    string probabilities = p.Probabilities.Count > 0 ? $"InputProbabilities = new double[] {{ {string.Join(", ", p.Probabilities.Select(Literal))} }}, " : "";
                    w.Line($"    new GB::Preference {{ Layer = {p.Layer}, Neuron = {(p.Neuron < 0 ? "null" : p.Neuron.ToString())}, " +
                        $"Interval = new GB::ActivationInterval({Literal(p.Lower)}, {Literal(p.Upper)}{inclusive}), " + probabilities +
                        $"Relation = GB::PreferenceRelation.{p.Relation}, Target = {Literal(p.Target)}, Tolerance = {Literal(p.Tolerance)}, " +
                        $"Distribution = GB::PreferenceDistribution.{p.Distribution}, Method = GB::EnforcementMethod.{p.Method} }},");
                }

                w.Line("};");
            }

            w.Line();
            w.Line("/// <summary>The runtime description of this network's shape, for the trainer and the certifier.</summary>");
            w.Member("public static GB::NetworkShape Shape { get; } = GB::NetworkShape.Create(InputCount" +
                string.Concat(layers.Select(l => $", ({l.Width}, GB::Activation.{l.Activation})")) + ");");
            w.Line();
        }

        /// <summary>The most compiled-in parameters written as a readable array (above: base64 text).</summary>
        internal const int MaxReadableEmbedded = 16384;

        /// <summary>
        /// The parameters of the model file as static data (the float bits, so every value is exact; the compiler
        /// stores the array in the assembly's data section, and the span reads it with no allocation), its name, and a
        /// constructor that loads them.
        /// </summary>
        private static void EmitCompiledInModel(IndentedWriter w, NetworkModel model)
        {
            // The file name as the user wrote it may hold anything ('&', quotes, line breaks): each place gets its own escaping.
            string file = model.ModelFile!;
            w.Line("/// <summary>The model file the parameters were compiled in from (as named in the attribute).</summary>");
            w.Member($"public const string ModelFileName = {GeneratedText.StringLiteral(file)};");
            w.Line();
            w.Line($"/// <summary>Creates the network with the parameters compiled in from \"{GeneratedText.XmlDoc(file)}\": no file is read at run time.</summary>");
            int[] bits = model.ParameterBits.ToArray();
            if (bits.Length > MaxReadableEmbedded)
            {
                // Hundreds of thousands of integer literals (or one huge UTF-8 literal) take the compiler seconds; one
                // string constant of base64 text is read in a fraction of a second.
                w.Member("public " + GeneratedText.Identifier(model.TypeName) + "() => SetParameters(GB::ParameterPacking.DecodeEmbedded(EmbeddedParameterBase64, ParameterCount));");
                w.Line();
                w.Line($"// The {bits.Length} parameters of \"{GeneratedText.Comment(file)}\" in the canonical layout: float bits, little-endian, base64");
                w.Line($"// (more than {MaxReadableEmbedded} parameters are not written as a readable array, so the compiler stays fast).");
                byte[] bytes = new byte[bits.Length * 4];
                for (int i = 0; i < bits.Length; i++)
                {
                    bytes[4 * i] = (byte)bits[i];
                    bytes[(4 * i) + 1] = (byte)(bits[i] >> 8);
                    bytes[(4 * i) + 2] = (byte)(bits[i] >> 16);
                    bytes[(4 * i) + 3] = (byte)(bits[i] >> 24);
                }

                w.Member("private const string EmbeddedParameterBase64 = \"" + System.Convert.ToBase64String(bytes) + "\";");
                w.Line();
                return;
            }

            w.Member("public " + GeneratedText.Identifier(model.TypeName) + "() => SetParameters(Interop::MemoryMarshal.Cast<uint, float>(EmbeddedParameterBits));");
            w.Line();
            w.Line($"// The {model.ParameterBits.Count} parameters of \"{GeneratedText.Comment(file)}\" in the canonical layout, as float bits (exact), eight per line;");
            w.Line("// the comment after each line gives their values.");
            w.Member("private static Sys::ReadOnlySpan<uint> EmbeddedParameterBits => new uint[]");
            w.Line("{");
            for (int start = 0; start < bits.Length; start += 8)
            {
                int[] line = bits.Skip(start).Take(8).ToArray();
                string values = string.Join(", ", line.Select(b =>
                    System.BitConverter.ToSingle(System.BitConverter.GetBytes(b), 0).ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
                w.Line("    " + string.Join(", ", line.Select(b => "0x" + b.ToString("X8") + "u")) + ", // " + values);
            }

            w.Line("};");
            w.Line();
        }

        private static string Literal(double value) =>
            double.IsPositiveInfinity(value) ? "double.PositiveInfinity"
            : double.IsNegativeInfinity(value) ? "double.NegativeInfinity"
            : value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

        private static void EmitStateAndParameters(IndentedWriter w, List<LayerPlan> layers)
        {
            w.Member("private readonly float[] _parameters = new float[ParameterCount];");
            w.Member("private readonly float[] _packed = new float[PackedSize];");
            w.Line("// Odd while SetParameters replaces the parameters, and changed by every call: a computation that sees it odd or");
            w.Line("// changed has read a mix of old and new parameters and throws (GenBias.CompilerServices.ParameterVersion).");
            w.Member("private int _version;");
            if (layers[0].Tables)
            {
                w.Member("private readonly GBC::FirstLayerTables _tables = new(Shape);");
            }

            if (AddsColumns(layers))
            {
                w.Line("// The first layer's packed columns again, on a 64-byte boundary (a Vector512 load from the unaligned array would");
                w.Line("// cross two cache lines): the column sums load a column for every nonzero input.");
                w.Member($"private readonly GBC::AlignedFloats _columns = new({ShapeRules.PackedLayerSize(layers[0].Inputs, layers[0].Width)});");
                if (ShapeRules.TriplesFirstLayer(layers[0].Inputs, layers[0].Width))
                {
                    w.Line("// For one row: the 13 signed sums of each triple of inputs' columns up to their sign, so a nonzero triple costs one column.");
                    w.Member($"private readonly GBC::AlignedFloats _triples = new({ShapeRules.TripleTableFloats(layers[0].Inputs, layers[0].Width)});");
                }
                else if (ShapeRules.PairsFirstLayer(layers[0].Inputs, layers[0].Width))
                {
                    w.Line("// For one row: the columns of each pair of inputs a, b as a, b, a + b, a − b, so a nonzero pair costs one column.");
                    w.Member($"private readonly GBC::AlignedFloats _pairs = new({ShapeRules.PairTableFloats(layers[0].Inputs, layers[0].Width)});");
                }
            }

            if (AddsColumns(layers) || DotsFirstLayer(layers))
            {
                w.Line("// The first layer's weights in grid steps as int16s, two inputs per int32, then the biases (where every weight fits");
                w.Line("// 16 bits and Vector512 runs, _shortPairsFit): the batches' multiply-adds in int32, two inputs per lane of a vpmaddwd.");
                w.Member($"private readonly GBC::AlignedFloats _shortPairs = new({ShapeRules.ShortPairTableInts(layers[0].Inputs, layers[0].Width)});");
                w.Member("private bool _shortPairsFit;");
            }

            w.Line();
            w.Line("/// <inheritdoc/>");
            w.Member("GB::NetworkShape GB::ITernaryNetwork.Shape => Shape;");
            w.Line();
            w.Line("/// <summary>The parameters in the canonical layout; change them with <see cref=\"SetParameters\"/>.</summary>");
            w.Member("public Sys::ReadOnlySpan<float> Parameters => _parameters;");
            w.Line();
            w.Line("/// <summary>The arithmetic of the forward pass; every path returns the same bits.</summary>");
            w.Member("public GB::ComputePath ComputePath { get; set; }");
            w.Line();
            w.Line("/// <summary>Replaces every parameter (canonical layout) and repacks them for the SIMD code.</summary>");
            w.Line("/// <exception cref=\"Sys::ArgumentException\">The length is not <see cref=\"ParameterCount\"/>, a value is NaN or infinite, or a neuron's pre-activation could exceed ParameterPacking.MaxPreActivationBound (the message names the parameter).</exception>");
            using (w.MemberBlock("public void SetParameters(Sys::ReadOnlySpan<float> parameters)"))
            {
                w.Line("GB::ParameterPacking.CheckComputable(Shape, parameters, nameof(parameters));");
                w.Line("GBC::ParameterVersion.BeginWrite(ref _version);");
                using (w.Block("try"))
                {
                    w.Line("parameters.CopyTo(_parameters);");
                    w.Line("GB::ParameterPacking.Pack(Shape, _parameters, _packed);");
                    if (AddsColumns(layers))
                    {
                        w.Line("Sys::MemoryExtensions.AsSpan(_packed, Layer0Packed, _columns.Length).CopyTo(_columns.Span);");
                        if (ShapeRules.TriplesFirstLayer(layers[0].Inputs, layers[0].Width))
                        {
                            w.Line($"GBC::WideFirstLayer.BuildTriples(_columns.Span, InputCount, {layers[0].Padded}, _triples.Span);");
                        }
                        else if (ShapeRules.PairsFirstLayer(layers[0].Inputs, layers[0].Width))
                        {
                            w.Line($"GBC::WideFirstLayer.BuildPairs(_columns.Span, InputCount, {layers[0].Padded}, _pairs.Span);");
                        }
                    }
                    if (AddsColumns(layers) || DotsFirstLayer(layers))
                    {
                        int count = ShapeRules.LayerParameterCount(layers[0].Inputs, layers[0].Width);
                        w.Line("// The int16 kernels run with Vector512 only: without it the table is not built.");
                        w.Line("_shortPairsFit = Simd::Vector512.IsHardwareAccelerated");
                        w.Line($"    && GBC::WideFirstLayer.BuildShortPairs(Sys::MemoryExtensions.AsSpan(_parameters, 0, {count}), InputCount, {layers[0].Width}, "
                            + $"{ShapeRules.PaddedWidth(layers[0].Width)}, Interop::MemoryMarshal.Cast<float, int>(_shortPairs.Span));");
                    }

                    if (layers[0].Tables)
                    {
                        w.Line($"// {layers[0].Groups} groups × 243 rows of every first-layer neuron's group sum.");
                        w.Line("_tables.Build(_parameters);");
                    }
                }

                using (w.Block("finally"))
                {
                    w.Line("GBC::ParameterVersion.EndWrite(ref _version);");
                }
            }

            w.Line();
        }
    }
}
