using System.Collections.Generic;
using System.Linq;
using GenBias.Generators.Helpers;

namespace GenBias.Generators
{
    // Run: the dispatch Vector512 → Vector256 → Vector128 → scalar, and the single-row kernel of each path (layers over
    // their outputs in lanes, narrow layers as dot products in the canonical order).
    public sealed partial class TernaryNetworkGenerator
    {
        private static void EmitDispatch(IndentedWriter w, bool anyOverOutputs, List<LayerPlan> layers)
        {
            bool tables = layers[0].Tables;
            string name = tables ? "RunPacked" : "Run";
            string parameters = tables ? "ulong positive, ulong negative" : "ref sbyte input";
            string arguments = tables ? "positive, negative" : "ref input";
            if (tables)
            {
                w.Line("// input: InputCount validated ternary values, packed for the table-driven first layer.");
                using (w.MemberBlock("private void Run(ref sbyte input, Sys::Span<float> h, Sys::Span<float> z)"))
                {
                    w.Line("GB::TernaryInput.TryPack(ref input, InputCount, out ulong positive, out ulong negative);");
                    w.Line("RunPacked(positive, negative, h, z);");
                }

                w.Line();
            }

            w.Line("// Picks the widest accelerated path allowed by ComputePath. " + (tables ? "positive, negative: a validated packed input" : "input: InputCount validated ternary values") + "; h, z: every");
            w.Line("// layer's outputs and pre-activations, each layer padded to whole 16-float blocks.");
            using (w.MemberBlock($"private void {name}({parameters}, Sys::Span<float> h, Sys::Span<float> z)"))
            {
                w.Line("GB::ComputePath path = ComputePath;");
                using (w.Block("if (path != GB::ComputePath.Scalar && Simd::Vector128.IsHardwareAccelerated)"))
                {
                    using (w.Block("if (path != GB::ComputePath.Vector128 && Simd::Vector256.IsHardwareAccelerated)"))
                    {
                        if (anyOverOutputs)
                        {
                            using (w.Block("if (path != GB::ComputePath.Vector256 && Simd::Vector512.IsHardwareAccelerated)"))
                            {
                                w.Line($"RunVector512({arguments}, ref Interop::MemoryMarshal.GetReference(h), ref Interop::MemoryMarshal.GetReference(z));");
                                w.Line("return;");
                            }

                            w.Line();
                        }
                        else
                        {
                            w.Line("// No layer is wide enough for Vector512 lanes: the Vector256 path is also the Vector512 path.");
                        }

                        w.Line($"RunVector256({arguments}, ref Interop::MemoryMarshal.GetReference(h), ref Interop::MemoryMarshal.GetReference(z));");
                        w.Line("return;");
                    }

                    w.Line();
                    w.Line($"RunVector128({arguments}, ref Interop::MemoryMarshal.GetReference(h), ref Interop::MemoryMarshal.GetReference(z));");
                    w.Line("return;");
                }

                w.Line();
                w.Line($"RunScalar({arguments}, h, z);");
            }

            w.Line();
            w.Line("// Scalar: the reference kernels over the canonical layout, copied into the padded scratch layout. Kept out of");
            w.Line("// Run so that its buffers do not weigh on the SIMD paths.");
            w.Line("[Runtime::MethodImpl(Runtime::MethodImplOptions.NoInlining)]");
            using (w.MemberBlock($"private void RunScalar({parameters}, Sys::Span<float> h, Sys::Span<float> z)"))
            {
                w.Line("Sys::Span<float> x = stackalloc float[InputCount];");
                w.Line(tables
                    ? "GB::TernaryInput.PackedToFloats(positive, negative, InputCount, x);"
                    : "GB::TernaryInput.ToFloats(Interop::MemoryMarshal.CreateReadOnlySpan(ref input, InputCount), x);");
                w.Line("Sys::Span<float> pre = stackalloc float[ActivationCount];");
                w.Line("Sys::Span<float> act = stackalloc float[ActivationCount];");
                w.Line("GB::ReferenceNetwork.ForwardScalar(Shape, _parameters, x, pre, act);");
                foreach (LayerPlan l in layers)
                {
                    w.Line($"pre.Slice({l.Name}ActivationOffset, {l.Width}).CopyTo(z.Slice({l.Name}Scratch));");
                    w.Line($"act.Slice({l.Name}ActivationOffset, {l.Width}).CopyTo(h.Slice({l.Name}Scratch));");
                }
            }

            w.Line();
        }

        /// <summary>
        /// Whether the output of one packed input can be computed in registers alone (<see cref="EmitOutputDispatch"/>):
        /// the first layer from tables, every later layer a dot product over the registers of a layer over its outputs,
        /// and one output.
        /// </summary>
        private static bool OutputInRegisters(List<LayerPlan> layers)
        {
            LayerPlan last = layers[layers.Count - 1];
            return layers[0].Tables && last.Width == 1 && !last.OverOutputs
                && layers.Skip(1).All(l => !l.OverOutputs && layers[l.Index - 1].OverOutputs && l.Stride / 8 <= 4);
        }

        /// <summary>
        /// The activation of one pre-activation on lane 0 of a Vector128 (the same bits as the float form): the value stays
        /// in the vector registers instead of moving to the integer ones and back.
        /// </summary>
        private static string ActivationInLane(LayerPlan l, string pre) =>
            $"Simd::Vector128.ToScalar(GB::ActivationMath.Apply(GB::Activation.{l.Activation}, Simd::Vector128.CreateScalar({pre})))";

        /// <summary>The dispatch of the output-only kernels (<see cref="OutputInRegisters"/>), and their scalar form.</summary>
        private static void EmitOutputDispatch(IndentedWriter w, bool anyOverOutputs, List<LayerPlan> layers)
        {
            LayerPlan last = layers[layers.Count - 1];
            w.Line("// The output alone for a validated packed input, on the widest accelerated path allowed by ComputePath: every layer");
            w.Line("// stays in registers (no scratch, no stores), so that independent calls overlap.");
            using (w.MemberBlock("private float OutputPacked(ulong positive, ulong negative)"))
            {
                w.Line("GB::ComputePath path = ComputePath;");
                using (w.Block("if (path != GB::ComputePath.Scalar && Simd::Vector128.IsHardwareAccelerated)"))
                {
                    using (w.Block("if (path != GB::ComputePath.Vector128 && Simd::Vector256.IsHardwareAccelerated)"))
                    {
                        if (anyOverOutputs)
                        {
                            using (w.Block("if (path != GB::ComputePath.Vector256 && Simd::Vector512.IsHardwareAccelerated)"))
                            {
                                w.Line("return OutputVector512(positive, negative);");
                            }

                            w.Line();
                        }

                        w.Line("return OutputVector256(positive, negative);");
                    }

                    w.Line();
                    w.Line("return OutputVector128(positive, negative);");
                }

                w.Line();
                w.Line("return OutputScalar(positive, negative);");
            }

            w.Line();
            w.Line("// Scalar: the reference kernels, through the scratch buffers of RunScalar (kept out of OutputPacked).");
            w.Line("[Runtime::MethodImpl(Runtime::MethodImplOptions.NoInlining)]");
            using (w.MemberBlock("private float OutputScalar(ulong positive, ulong negative)"))
            {
                w.Line("Sys::Span<float> h = stackalloc float[ScratchSize];");
                w.Line("Sys::Span<float> z = stackalloc float[ScratchSize];");
                w.Line("RunScalar(positive, negative, h, z);");
                w.Line($"return h[{last.Name}Scratch];");
            }

            w.Line();
        }

        /// <summary>
        /// The single-row kernel of one path: <paramref name="bits"/> 128, 256 or 512. <paramref name="outputOnly"/>: the
        /// kernel returns the one output and stores nothing (<see cref="OutputInRegisters"/> must hold).
        /// </summary>
        private static void EmitVectorPath(IndentedWriter w, List<LayerPlan> layers, int bits, bool outputOnly = false)
        {
            bool wide = bits == 512, narrow = bits == 128;
            string name = "RunVector" + bits;
            string vector = "Vector" + bits;
            int lanes = bits / 32;
            w.Line(wide
                ? "// Vector512 lanes for layers of 8 or more neurons (16 outputs per vector), Vector256 dot products for narrower ones."
                : narrow
                ? "// Vector128 throughout (ARM64 NEON, x64 without AVX2): 4 outputs per vector for layers of 8 or more neurons, dot"
                    + " products of two vectors per 8 inputs for narrower ones."
                : "// Vector256 throughout: 8 outputs per vector for layers of 8 or more neurons, dot products for narrower ones.");
            string input = layers[0].Tables ? "ulong positive, ulong negative" : "ref sbyte input";
            if (outputOnly)
            {
                w.Line("// The output alone: the same operations as " + name + ", every layer kept in registers and returned, not stored.");
            }

            using (w.MemberBlock(outputOnly ? $"private float OutputVector{bits}({input})" : $"private void {name}({input}, ref float h, ref float z)"))
            {
                bool weights = !outputOnly || layers.Count > 1;
                if (weights)
                {
                    w.Line("ref float w = ref Interop::MemoryMarshal.GetArrayDataReference(_packed);");
                }

                foreach (LayerPlan l in layers)
                {
                    if (l.Index > 0 || weights)
                    {
                        w.Line();
                    }

                    string source = l.Index == 0 ? "" : $"ref Runtime::Unsafe.Add(ref h, {layers[l.Index - 1].Name}Scratch)";
                    if (l.Index == 0)
                    {
                        EmitFirstLayer(w, l, vector, lanes, outputOnly);
                    }
                    else if (l.OverOutputs)
                    {
                        EmitOverOutputs(w, l, source, vector, lanes);
                    }
                    else if (narrow)
                    {
                        LayerPlan previous = layers[l.Index - 1];
                        // Four inputs of the previous layer's outputs at a time, from its registers where it kept them.
                        System.Func<int, string>? fromRegisters = !previous.OverOutputs ? null : (q => $"y{previous.Index}_{q}");
                        EmitDot128(w, l, source, fromRegisters, outputOnly);
                    }
                    else
                    {
                        LayerPlan? previous = l.Index == 0 ? null : layers[l.Index - 1];
                        // Chunk c of the previous layer's outputs, straight from its registers where it kept them.
                        System.Func<int, string>? fromRegisters = previous == null || !previous.OverOutputs ? null
                            : !wide ? (c => $"y{previous.Index}_{c}")
                            : (c => $"Simd::Vector512.{(c % 2 == 0 ? "GetLower" : "GetUpper")}(y{previous.Index}_{c / 2})");
                        EmitDot(w, l, source, fromRegisters, outputOnly);
                    }
                }
            }
        }

        /// <summary>
        /// Blocks of <paramref name="lanes"/> outputs that cover a layer of <paramref name="width"/> neurons: on Vector128,
        /// whole octets (pairs of blocks), so every padding lane that a later dot product reads is written, with the
        /// bits the Vector256 path writes there.
        /// </summary>
        private static int Blocks(int width, int lanes) =>
            lanes == 4 ? 2 * ((width + 7) / 8) : (width + lanes - 1) / lanes;

        /// <summary>The comment over the block of <paramref name="lanes"/> neurons from <paramref name="lo"/>.</summary>
        private static string BlockComment(int lo, int lanes, int width)
        {
            int hi = System.Math.Min(lo + lanes, width) - 1;
            return hi < lo ? $"// Padding lanes {lo}-{lo + lanes - 1} (zero weights, as the Vector256 path computes them)"
                : (lo == hi ? $"// Neuron {lo}" : $"// Neurons {lo}-{hi}") + (hi - lo + 1 < lanes ? " (the rest of the block is zero padding)" : "");
        }

        private static void EmitOverOutputs(IndentedWriter w, LayerPlan l, string source, string vector, int lanes)
        {
            string type = "Simd::" + vector;
            int blocks = Blocks(l.Width, lanes);
            int whole = l.Inputs / ShapeRules.PartialSums * ShapeRules.PartialSums;
            System.Func<string, string> value = at => $"{type}.Create(Runtime::Unsafe.Add(ref a, {at}))";
            w.Line($"// Layer {l.Index}: {l.Describe}, outputs in {vector} lanes ({blocks} block{(blocks == 1 ? "" : "s")} of {lanes}).");
            w.Line($"// Input j feeds partial sum j % 8 of every output; the fixed tree reduces the eight partial sums.");
            w.Line("// The activations stay in registers for a narrow layer that follows (a load right after the store would stall).");
            w.Line(string.Join(", ", Enumerable.Range(0, blocks).Select(b => b == 0 ? $"{type}<float> y{l.Index}_0" : $"y{l.Index}_{b}")) + ";");
            using (w.Block())
            {
                w.Line($"ref float a = {source};");
                w.Line($"ref float p = ref Runtime::Unsafe.Add(ref w, {l.Name}Packed); // column j (input j to every neuron) at j * {l.Padded}");
                for (int b = 0; b < blocks; b++)
                {
                    int lo = b * lanes;
                    w.Line(BlockComment(lo, lanes, l.Width));
                    using (w.Block())
                    {
                        w.Line($"{type}<float> s0 = {type}<float>.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;");
                        if (whole > 0)
                        {
                            using (w.Block($"for (int j = 0; j < {whole}; j += 8)"))
                            {
                                w.Line($"ref float column = ref Runtime::Unsafe.Add(ref p, j * {l.Padded});");
                                for (int t = 0; t < 8; t++)
                                {
                                    string at = t == 0 ? "j" : $"j + {t}";
                                    w.Line($"s{t} = {type}.FusedMultiplyAdd({value(at)}, {type}.LoadUnsafe(ref column, {(t * l.Padded) + lo}), s{t});");
                                }
                            }
                        }

                        for (int j = whole; j < l.Inputs; j++)
                        {
                            w.Line($"s{j % 8} = {type}.FusedMultiplyAdd({value(j.ToString())}, {type}.LoadUnsafe(ref p, {(j * l.Padded) + lo}), s{j % 8}); // input {j}");
                        }

                        w.Line($"{type}<float> pre = GBC::CanonicalSum.Tree(s0, s1, s2, s3, s4, s5, s6, s7) + {type}.LoadUnsafe(ref p, {(l.Inputs * l.Padded) + lo});");
                        w.Line($"{type}.StoreUnsafe(pre, ref z, {l.Name}Scratch + {lo});");
                        w.Line($"y{l.Index}_{b} = GB::ActivationMath.Apply(GB::Activation.{l.Activation}, pre);");
                        w.Line($"{type}.StoreUnsafe(y{l.Index}_{b}, ref h, {l.Name}Scratch + {lo});");
                    }
                }
            }
        }

        private static void EmitInputToFloats(IndentedWriter w, LayerPlan l, int lanes)
        {
            if (lanes == 4)
            {
                w.Line("// The input as floats; the first layer broadcasts them one by one from memory.");
                w.Line("Sys::Span<float> inputFloats = stackalloc float[PackedBufferSize];");
                w.Line("GB::TernaryInput.ToFloats(Interop::MemoryMarshal.CreateReadOnlySpan(ref input, InputCount), inputFloats);");
                w.Line("ref float x = ref Interop::MemoryMarshal.GetReference(inputFloats);");
                return;
            }

            int whole = l.Inputs / 8;
            w.Line("// The input as floats, converted eight at a time; the first layer broadcasts them one by one from memory.");
            w.Line("Sys::Span<float> inputFloats = stackalloc float[PackedBufferSize];");
            w.Line("ref float x = ref Interop::MemoryMarshal.GetReference(inputFloats);");
            if (whole > 4)
            {
                using (w.Block($"for (int j = 0; j < {whole * 8}; j += 8)"))
                {
                    w.Line("Simd::Vector256.StoreUnsafe(GB::TernaryInput.LoadVector256(ref input, j), ref x, (nuint)j);");
                }
            }
            else
            {
                for (int c = 0; c < whole; c++)
                {
                    w.Line($"Simd::Vector256.StoreUnsafe(GB::TernaryInput.LoadVector256(ref input, {c * 8}), ref x, {c * 8});");
                }
            }

            if (l.Inputs % 8 != 0)
            {
                w.Line("Simd::Vector256.StoreUnsafe(" +
                    (l.Inputs >= 8 ? "GB::TernaryInput.LoadVector256Tail(ref input, InputCount)" : "GB::TernaryInput.LoadVector256Short(ref input, InputCount)") +
                    $", ref x, {whole * 8});");
            }
        }

        private static void EmitDot(IndentedWriter w, LayerPlan l, string source, System.Func<int, string>? fromRegisters, bool outputOnly)
        {
            int chunks = l.Stride / 8;
            bool first = source.Length == 0;
            int whole = l.Inputs / 8;
            // Eight inputs as floats: later layers load them; the first layer converts its sbytes, the last partial
            // group rotated into place without reading past the input.
            System.Func<int, string> load = c =>
                fromRegisters != null ? fromRegisters(c)
                : !first ? $"Simd::Vector256.LoadUnsafe(ref a, {c * 8})"
                : c < whole ? $"GB::TernaryInput.LoadVector256(ref input, {c * 8})"
                : l.Inputs >= 8 ? "GB::TernaryInput.LoadVector256Tail(ref input, InputCount)"
                : "GB::TernaryInput.LoadVector256Short(ref input, InputCount)";
            w.Line($"// Layer {l.Index}: {l.Describe}, one dot product per neuron with 8 inputs per Vector256");
            w.Line("// (lane l accumulates inputs l, l + 8, …: the canonical partial sums), reduced by the fixed tree.");
            using (w.Block())
            {
                if (!first && (fromRegisters == null || chunks > 4))
                {
                    w.Line($"ref float a = {source};");
                }

                w.Line($"ref float p = ref Runtime::Unsafe.Add(ref w, {l.Name}Packed); // neuron k's weights at k * {l.Stride}, zero padded");
                w.Line(string.Join(", ", Enumerable.Range(0, l.Width).Select(k => k == 0 ? "Simd::Vector256<float> n0 = Simd::Vector256<float>.Zero" : $"n{k} = n0")) + ";");
                if (chunks <= 4)
                {
                    for (int c = 0; c < chunks; c++)
                    {
                        int lastInput = System.Math.Min((c * 8) + 7, l.Inputs - 1);
                        w.Line((lastInput == c * 8 ? $"// Input {c * 8}" : $"// Inputs {c * 8}-{lastInput}") + (c * 8 + 8 > l.Inputs ? " (then zero padding)" : ""));
                        w.Line($"Simd::Vector256<float> a{c} = {load(c)};");
                        for (int k = 0; k < l.Width; k++)
                        {
                            w.Line($"n{k} = Simd::Vector256.FusedMultiplyAdd(a{c}, Simd::Vector256.LoadUnsafe(ref p, {(k * l.Stride) + (c * 8)}), n{k});");
                        }
                    }
                }
                else
                {
                    int looped = first ? whole * 8 : l.Stride;
                    using (w.Block($"for (int j = 0; j < {looped}; j += 8)"))
                    {
                        w.Line(first ? "Simd::Vector256<float> aj = GB::TernaryInput.LoadVector256(ref input, j);" : "Simd::Vector256<float> aj = Simd::Vector256.LoadUnsafe(ref a, (nuint)j);");
                        for (int k = 0; k < l.Width; k++)
                        {
                            w.Line($"n{k} = Simd::Vector256.FusedMultiplyAdd(aj, Simd::Vector256.LoadUnsafe(ref p, (nuint)({k * l.Stride} + j)), n{k});");
                        }
                    }

                    if (first && whole < chunks)
                    {
                        w.Line($"// Inputs {whole * 8}-{l.Inputs - 1} (then zero padding)");
                        w.Line($"Simd::Vector256<float> tail = {load(whole)};");
                        for (int k = 0; k < l.Width; k++)
                        {
                            w.Line($"n{k} = Simd::Vector256.FusedMultiplyAdd(tail, Simd::Vector256.LoadUnsafe(ref p, {(k * l.Stride) + (whole * 8)}), n{k});");
                        }
                    }
                }

                for (int k = 0; k < l.Width; k++)
                {
                    w.Line($"// Neuron {k}");
                    w.Line($"float pre{k} = GBC::CanonicalSum.Tree(n{k}) + Runtime::Unsafe.Add(ref p, {(l.Width * l.Stride) + k});");
                    EmitNeuronResult(w, l, k, outputOnly);
                }
            }
        }

        /// <summary>
        /// Neuron <paramref name="k"/> of a narrow layer from its pre-activation <c>pre{k}</c>: stored with its activation in
        /// z and h, or, in an output-only kernel (the last layer, one neuron), its activation returned.
        /// </summary>
        private static void EmitNeuronResult(IndentedWriter w, LayerPlan l, int k, bool outputOnly)
        {
            if (outputOnly)
            {
                w.Line($"return {ActivationInLane(l, "pre" + k)};");
                return;
            }

            w.Line($"Runtime::Unsafe.Add(ref z, {l.Name}Scratch + {k}) = pre{k};");
            w.Line($"Runtime::Unsafe.Add(ref h, {l.Name}Scratch + {k}) = GB::ActivationMath.Apply(GB::Activation.{l.Activation}, pre{k});");
        }

        /// <summary>
        /// A narrow layer on the Vector128 path: the canonical dot product with each group of eight partial sums in two
        /// vectors, lanes 0-3 in n{k} and 4-7 in m{k}, every lane given the same multiply-adds as on the Vector256 path;
        /// <paramref name="fromRegisters"/>, when set, gives the previous layer's outputs by block of four.
        /// </summary>
        private static void EmitDot128(IndentedWriter w, LayerPlan l, string source, System.Func<int, string>? fromRegisters, bool outputOnly)
        {
            const string V = "Simd::Vector128";
            int chunks = l.Stride / 8;
            System.Func<int, string> load = q => fromRegisters != null ? fromRegisters(q) : $"{V}.LoadUnsafe(ref a, {q * 4})";
            w.Line($"// Layer {l.Index}: {l.Describe}, one dot product per neuron with 8 inputs per two Vector128");
            w.Line("// (lane l of the pair accumulates inputs l, l + 8, …: the canonical partial sums), reduced by the fixed tree.");
            using (w.Block())
            {
                if (fromRegisters == null || chunks > 4)
                {
                    w.Line($"ref float a = {source};");
                }

                w.Line($"ref float p = ref Runtime::Unsafe.Add(ref w, {l.Name}Packed); // neuron k's weights at k * {l.Stride}, zero padded");
                w.Line(string.Join(", ", Enumerable.Range(0, l.Width).Select(k => k == 0 ? $"{V}<float> n0 = {V}<float>.Zero, m0 = n0" : $"n{k} = n0, m{k} = n0")) + ";");
                if (chunks <= 4)
                {
                    for (int c = 0; c < chunks; c++)
                    {
                        int lastInput = System.Math.Min((c * 8) + 7, l.Inputs - 1);
                        w.Line((lastInput == c * 8 ? $"// Input {c * 8}" : $"// Inputs {c * 8}-{lastInput}") + (c * 8 + 8 > l.Inputs ? " (then zero padding)" : ""));
                        w.Line($"{V}<float> a{c} = {load(2 * c)}, b{c} = {load((2 * c) + 1)};");
                        for (int k = 0; k < l.Width; k++)
                        {
                            w.Line($"n{k} = {V}.FusedMultiplyAdd(a{c}, {V}.LoadUnsafe(ref p, {(k * l.Stride) + (c * 8)}), n{k});");
                            w.Line($"m{k} = {V}.FusedMultiplyAdd(b{c}, {V}.LoadUnsafe(ref p, {(k * l.Stride) + (c * 8) + 4}), m{k});");
                        }
                    }
                }
                else
                {
                    using (w.Block($"for (int j = 0; j < {l.Stride}; j += 8)"))
                    {
                        w.Line($"{V}<float> aj = {V}.LoadUnsafe(ref a, (nuint)j), bj = {V}.LoadUnsafe(ref a, (nuint)(j + 4));");
                        for (int k = 0; k < l.Width; k++)
                        {
                            w.Line($"n{k} = {V}.FusedMultiplyAdd(aj, {V}.LoadUnsafe(ref p, (nuint)({k * l.Stride} + j)), n{k});");
                            w.Line($"m{k} = {V}.FusedMultiplyAdd(bj, {V}.LoadUnsafe(ref p, (nuint)({(k * l.Stride) + 4} + j)), m{k});");
                        }
                    }
                }

                for (int k = 0; k < l.Width; k++)
                {
                    w.Line($"// Neuron {k}");
                    w.Line($"float pre{k} = GBC::CanonicalSum.Tree(n{k}, m{k}) + Runtime::Unsafe.Add(ref p, {(l.Width * l.Stride) + k});");
                    EmitNeuronResult(w, l, k, outputOnly);
                }
            }
        }
    }
}
