using System.Collections.Generic;
using System.Linq;
using GenBias.Generators.Helpers;

namespace GenBias.Generators
{
    // The public ForwardBatch: the path chosen once per batch, rows in lanes (Vector512, Vector256, Vector128 kernels) or
    // row by row, and for table-driven first layers the eight-row kernel of TernaryNetworkGenerator.Batch.cs.
    public sealed partial class TernaryNetworkGenerator
    {
        private static void EmitComputedBatch(IndentedWriter w, NetworkModel model, List<LayerPlan> layers)
        {
            LayerPlan output = layers[layers.Count - 1];
            w.Line("/// <inheritdoc/>");
            bool lanes = BatchInLanes(model, layers);
            if (!lanes)
            {
                w.Line($"/// <remarks>Rows are computed one at a time (a narrow first layer is faster so, and very large networks would overflow the rows-in-lanes kernel's stack buffers).</remarks>");
            }

            using (w.MemberBlock("public void ForwardBatch(Sys::ReadOnlySpan<sbyte> inputs, Sys::Span<float> outputs)"))
            {
                w.Line("int rows = GB::TernaryInput.ValidateBatch(inputs, InputCount, OutputCount, outputs.Length);");
                w.Line("int version = GBC::ParameterVersion.Read(ref _version);");
                w.Line("ref sbyte first = ref Interop::MemoryMarshal.GetReference(inputs);");
                w.Line("int r = 0;");
                bool columns = AddsColumns(layers) || DotsFirstLayer(layers);
                if (lanes || columns)
                {
                    w.Line("GB::ComputePath path = ComputePath;");
                    using (w.Block("if (path != GB::ComputePath.Scalar && Simd::Vector128.IsHardwareAccelerated)"))
                    {
                        w.Line("ref float last = ref Interop::MemoryMarshal.GetReference(outputs);");
                        using (w.Block("if (path != GB::ComputePath.Vector128 && Simd::Vector256.IsHardwareAccelerated)"))
                        {
                            EmitColumnBatchCalls(w, layers);
                            if (lanes)
                            {
                                using (w.Block("if (path != GB::ComputePath.Vector256 && Simd::Vector512.IsHardwareAccelerated)"))
                                {
                                    using (w.Block("for (; r + 16 <= rows; r += 16)"))
                                    {
                                        w.Line("BatchVector512(ref Runtime::Unsafe.Add(ref first, r * InputCount), ref Runtime::Unsafe.Add(ref last, r * OutputCount));");
                                    }
                                }

                                w.Line();
                                using (w.Block("for (; r + 8 <= rows; r += 8)"))
                                {
                                    w.Line("BatchVector256(ref Runtime::Unsafe.Add(ref first, r * InputCount), ref Runtime::Unsafe.Add(ref last, r * OutputCount));");
                                }
                            }
                        }

                        if (lanes)
                        {
                            w.Line();
                            using (w.Block("for (; r + 4 <= rows; r += 4)"))
                            {
                                w.Line("BatchVector128(ref Runtime::Unsafe.Add(ref first, r * InputCount), ref Runtime::Unsafe.Add(ref last, r * OutputCount));");
                            }
                        }
                    }

                    w.Line();
                    w.Line("// The rows left over (and every row on the scalar path), one at a time.");
                }

                using (w.Block("if (r < rows)"))
                {
                    EmitScratch(w, layers);
                    using (w.Block("for (; r < rows; r++)"))
                    {
                        w.Line("Run(ref Runtime::Unsafe.Add(ref first, r * InputCount), h, z);");
                        w.Line($"h.Slice({output.Name}Scratch, OutputCount).CopyTo(outputs.Slice(r * OutputCount, OutputCount));");
                    }
                }

                EmitVersionCheck(w);
            }

            if (lanes)
            {
                w.Line();
                EmitBatchKernel(w, layers, "Vector512", 16);
                w.Line();
                EmitBatchKernel(w, layers, "Vector256", 8);
                w.Line();
                EmitBatchKernel(w, layers, "Vector128", 4);
            }

            EmitColumnBatches(w, layers);
            if (AddsColumns(layers) || DotsFirstLayer(layers))
            {
                EmitUnpackedPackedBatch(w, model.Inputs);
            }
        }

        /// <summary>
        /// The packed batch of a network whose first layer adds columns or dots on the grid: groups of 16 rows (up to 16 KB of sbytes) at a time
        /// unpacked into sbytes and computed by the sbyte batch, so its bits are the sbyte batch's by construction.
        /// </summary>
        private static void EmitUnpackedPackedBatch(IndentedWriter w, int inputs)
        {
            // Whole groups of 16 rows, as many as fit 16 KB of sbytes (one group at 1,024 inputs): few calls, in cache.
            int chunk = 16 * System.Math.Max(1, 1024 / inputs);
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// The outputs for a batch of packed inputs: <paramref name=\"packedInputs\"/> holds, per row and per block of 64 inputs, the");
            w.Line("/// positive mask then the negative mask (<see cref=\"GB::TernaryInput.PackedWordsPerRow\"/> ulongs a row). Groups of");
            w.Line($"/// {chunk} rows at a time are unpacked into sbytes (a few vector instructions per 64 inputs) and computed by the sbyte batch's kernels.");
            w.Line("/// </summary>");
            w.Line("/// <exception cref=\"Sys::ArgumentException\">The lengths do not match, or a row's masks overlap or set a bit at or above <see cref=\"InputCount\"/> (the message names the row and the input).</exception>");
            using (w.MemberBlock("public void ForwardBatch(Sys::ReadOnlySpan<ulong> packedInputs, Sys::Span<float> outputs)"))
            {
                w.Line("int rows = GB::TernaryInput.ValidatePackedBatch(packedInputs, InputCount, OutputCount, outputs.Length);");
                w.Line("int words = GB::TernaryInput.PackedWordsPerRow(InputCount);");
                w.Line("int version = GBC::ParameterVersion.Read(ref _version);");
                w.Line($"Sys::Span<sbyte> block = stackalloc sbyte[{chunk} * InputCount];");
                w.Line($"// {chunk} rows at a time (at most 16 KB): the unpacked rows stay in the first-level cache for the kernels.");
                using (w.Block($"for (int r = 0; r < rows; r += {chunk})"))
                {
                    w.Line($"int count = Sys::Math.Min({chunk}, rows - r);");
                    w.Line("GB::TernaryInput.UnpackRows(packedInputs.Slice(r * words), count, InputCount, block);");
                    w.Line("ForwardBatch(block.Slice(0, count * InputCount), outputs.Slice(r * OutputCount, count * OutputCount));");
                }

                EmitVersionCheck(w);
            }
        }

        /// <summary>
        /// Batches for a table-driven first layer: each row is packed (two compares and a movemask per vector; the
        /// packed batch needs nothing) and runs through the chosen SIMD path, with the path chosen once per batch.
        /// </summary>
        private static void EmitTableBatches(IndentedWriter w, List<LayerPlan> layers)
        {
            LayerPlan output = layers[layers.Count - 1];
            EmitBatchConstants(w, layers);
            if (Rows16(layers))
            {
                EmitRows16Constants(w, layers);
            }

            w.Line();
            for (int form = 0; form < 2; form++)
            {
                bool packed = form == 1;
                if (packed)
                {
                    w.Line();
                    w.Line("/// <summary>");
                    w.Line("/// The outputs for a batch of packed inputs: <paramref name=\"packedInputs\"/> holds, per row, the positive mask then the");
                    w.Line("/// negative mask; <paramref name=\"outputs\"/> receives <see cref=\"OutputCount\"/> values per row. The fastest batch form.");
                    w.Line("/// </summary>");
                    w.Line("/// <exception cref=\"Sys::ArgumentException\">The lengths do not match, or a row's masks overlap or set a bit at or above <see cref=\"InputCount\"/> (the message names the row).</exception>");
                    w.Member("public void ForwardBatch(Sys::ReadOnlySpan<ulong> packedInputs, Sys::Span<float> outputs)");
                }
                else
                {
                    w.Line("/// <inheritdoc/>");
                    w.Member("public void ForwardBatch(Sys::ReadOnlySpan<sbyte> inputs, Sys::Span<float> outputs)");
                }

                using (w.Block())
                {
                    w.Line(packed
                        ? "int rows = GB::TernaryInput.ValidatePackedBatch(packedInputs, InputCount, OutputCount, outputs.Length);"
                        : "int rows = GB::TernaryInput.ValidateBatch(inputs, InputCount, OutputCount, outputs.Length);");
                    w.Line(packed
                        ? "ref ulong first = ref Interop::MemoryMarshal.GetReference(packedInputs);"
                        : "ref sbyte first = ref Interop::MemoryMarshal.GetReference(inputs);");
                    w.Line("int version = GBC::ParameterVersion.Read(ref _version);");
                    w.Line("ref float last = ref Interop::MemoryMarshal.GetReference(outputs);");
                    EmitScratch(w, layers);
                    w.Line("ref float h0 = ref Interop::MemoryMarshal.GetReference(h);");
                    w.Line("ref float z0 = ref Interop::MemoryMarshal.GetReference(z);");
                    w.Line("GB::ComputePath path = ComputePath;");
                    string Pack() => packed
                        ? "ulong positive = Runtime::Unsafe.Add(ref first, 2 * r), negative = Runtime::Unsafe.Add(ref first, (2 * r) + 1);"
                        : "GB::TernaryInput.TryPack(ref Runtime::Unsafe.Add(ref first, r * InputCount), InputCount, out ulong positive, out ulong negative);";
                    string Store() => output.Width == 1
                        ? $"Runtime::Unsafe.Add(ref last, r) = Runtime::Unsafe.Add(ref h0, {output.Name}Scratch);"
                        : $"h.Slice({output.Name}Scratch, OutputCount).CopyTo(outputs.Slice(r * OutputCount, OutputCount));";
                    w.Line("int r = 0;");
                    System.IDisposable accelerated = w.Block("if (path != GB::ComputePath.Scalar && Simd::Vector128.IsHardwareAccelerated)");
                    using (w.Block("if (path != GB::ComputePath.Vector128 && Simd::Vector256.IsHardwareAccelerated)"))
                    {
                        w.Line("// Eight rows per kernel call, then the rest one at a time.");
                        w.Line("Sys::Span<float> buffer = stackalloc float[BatchBufferSize];");
                        w.Line("buffer.Clear(); // padding that narrow layers read must be zero, even under [SkipLocalsInit]");
                        w.Line("ref float b0 = ref Interop::MemoryMarshal.GetReference(buffer);");
                        if (!packed)
                        {
                            w.Line($"Sys::Span<ulong> masks = stackalloc ulong[{2 * SbyteChunkRows}];");
                            w.Line("ref ulong m0 = ref Interop::MemoryMarshal.GetReference(masks);");
                        }

                        EmitBatch16Loop(w, layers, packed);
                        void Loop(string kernel)
                        {
                            if (packed)
                            {
                                using (w.Block("for (; r + 8 <= rows; r += 8)"))
                                {
                                    w.Line($"{kernel}(ref Runtime::Unsafe.Add(ref first, 2 * r), ref Runtime::Unsafe.Add(ref last, r * OutputCount), ref b0);");
                                }
                            }
                            else
                            {
                                EmitSbyteChunks(w, layers[0].Inputs, 8, "m0", b => $"{kernel}(ref Runtime::Unsafe.Add(ref m0, 2 * {b}), ref Runtime::Unsafe.Add(ref last, (r + {b}) * OutputCount), ref b0);");
                            }
                        }

                        if (Batches8Vector512(layers))
                        {
                            using (w.Block($"if (path != GB::ComputePath.Vector256 && {V512}.IsHardwareAccelerated)"))
                            {
                                if (Rows16(layers))
                                {
                                    EmitRows16Loop(w, layers, packed);
                                    w.Line();
                                }

                                w.Line("// Layers of more than 8 neurons on Vector512.");
                                Loop("BatchRows8Vector512");
                            }

                            w.Line();
                        }

                        Loop("BatchRows8");
                        w.Line();
                        using (w.Block("for (; r < rows; r++)"))
                        {
                            w.Line(Pack());
                            w.Line("RunVector256(positive, negative, ref h0, ref z0);");
                            w.Line(Store());
                        }
                    }

                    w.Line();
                    w.Line("// Vector128: one row at a time.");
                    using (w.Block("for (; r < rows; r++)"))
                    {
                        w.Line(Pack());
                        w.Line("RunVector128(positive, negative, ref h0, ref z0);");
                        w.Line(Store());
                    }

                    accelerated.Dispose();

                    w.Line();
                    using (w.Block("for (; r < rows; r++)"))
                    {
                        w.Line(Pack());
                        w.Line("RunScalar(positive, negative, h, z);");
                        w.Line(Store());
                    }

                    EmitVersionCheck(w);
                }
            }

            w.Line();
            EmitTableBatchKernel(w, layers);
        }

        /// <summary>
        /// Whether to batch rows in lanes: only when the first layer is wide (8 or more neurons; a narrow one is
        /// cheaper row by row than the transposition costs, measured 22 ns against 9 ns per row for 25 → 1) and the
        /// kernel's buffers (one vector per input and per neuron) fit comfortably on the stack.
        /// </summary>
        private static bool BatchInLanes(NetworkModel model, List<LayerPlan> layers) =>
            layers[0].OverOutputs && !layers[0].Tables && (model.Inputs + layers.Sum(l => l.Width)) * 64 <= 64 * 1024;

        private static void EmitBatchKernel(IndentedWriter w, List<LayerPlan> layers, string vector, int lanes, bool columns = false, bool dots = false)
        {
            string type = "Simd::" + vector;
            LayerPlan output = layers[layers.Count - 1];
            w.Line($"// {lanes} rows at once, row t in lane t of every {vector}: each neuron is computed in the canonical order, lane by");
            w.Line("// lane, so every row gets the bits of Forward. Weights are broadcast from the canonical parameter buffer.");
            using (w.MemberBlock($"private void {(dots ? "Dot" : columns ? "Column" : "")}Batch{vector}(ref sbyte input, ref float output)"))
            {
                w.Line("ref float w = ref Interop::MemoryMarshal.GetArrayDataReference(_parameters);");
                if (!columns)
                {
                    w.Line($"// The inputs transposed: vector i holds input i of the {lanes} rows.");
                    w.Line($"Sys::Span<{type}<float>> x = stackalloc {type}<float>[InputCount];");
                    w.Line($"GB::TernaryInput.Transpose(ref input, InputCount, Interop::MemoryMarshal.Cast<{type}<float>, float>(x));");
                }

                string previous = "x";
                foreach (LayerPlan l in layers)
                {
                    int whole = l.Inputs / 8 * 8;
                    string current = "y" + l.Index;
                    w.Line();
                    if (l.Index == 0 && columns)
                    {
                        if (dots)
                        {
                            EmitDotLayerInLanes(w, l, type, lanes);
                        }
                        else
                        {
                            EmitColumnLayerInLanes(w, l, type, lanes);
                        }

                        previous = current;
                        continue;
                    }

                    w.Line(l.Index == 0
                        ? $"// Layer 0: {l.Describe}; groups of five inputs in the canonical group order (CanonicalSum.FirstLayer)."
                        : $"// Layer {l.Index}: {l.Describe}; input j feeds partial sum j % 8, then the fixed tree and the bias.");
                    w.Line($"Sys::Span<{type}<float>> {current} = stackalloc {type}<float>[{l.Width}];");
                    using (w.Block($"for (int k = 0; k < {l.Width}; k++)"))
                    {
                        w.Line($"ref float row = ref Runtime::Unsafe.Add(ref w, {l.Name}WeightOffset + (k * {l.Inputs}));");
                        w.Line($"ref {type}<float> a = ref Interop::MemoryMarshal.GetReference({previous});");
                        if (l.Index == 0)
                        {
                            // The first layer in the canonical group order, with broadcast weights.
                            EmitGroupedSum(w, $"{type}<float>", $"{type}<float>.Zero", l.Inputs,
                                first => first ? $"{type}.Create(Runtime::Unsafe.Add(ref w, Layer0BiasOffset + k))" : $"{type}<float>.Zero",
                                (index, acc) => $"{type}.FusedMultiplyAdd(Runtime::Unsafe.Add(ref a, {index}), {type}.Create(Runtime::Unsafe.Add(ref row, {index})), {acc})");
                            w.Line($"{current}[k] = GB::ActivationMath.Apply(GB::Activation.{l.Activation}, pre);");
                        }
                        else
                        {
                            w.Line($"{type}<float> s0 = {type}<float>.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;");
                            if (whole > 0)
                            {
                                using (w.Block($"for (int j = 0; j < {whole}; j += 8)"))
                                {
                                    for (int t = 0; t < 8; t++)
                                    {
                                        string at = t == 0 ? "j" : $"j + {t}";
                                        w.Line($"s{t} = {type}.FusedMultiplyAdd(Runtime::Unsafe.Add(ref a, {at}), {type}.Create(Runtime::Unsafe.Add(ref row, {at})), s{t});");
                                    }
                                }
                            }

                            for (int j = whole; j < l.Inputs; j++)
                            {
                                w.Line($"s{j % 8} = {type}.FusedMultiplyAdd(Runtime::Unsafe.Add(ref a, {j}), {type}.Create(Runtime::Unsafe.Add(ref row, {j})), s{j % 8}); // input {j}");
                            }

                            w.Line($"{type}<float> pre = GBC::CanonicalSum.Tree(s0, s1, s2, s3, s4, s5, s6, s7) + {type}.Create(Runtime::Unsafe.Add(ref w, {l.Name}BiasOffset + k));");
                            w.Line($"{current}[k] = GB::ActivationMath.Apply(GB::Activation.{l.Activation}, pre);");
                        }
                    }

                    previous = current;
                }

                w.Line();
                if (output.Width == 1)
                {
                    w.Line($"// One output per row: the lanes are the rows' outputs in order.");
                    w.Line($"{type}.StoreUnsafe({previous}[0], ref output);");
                }
                else
                {
                    w.Line($"// Back from lanes to rows: row t's output k at t * OutputCount + k.");
                    using (w.Block($"for (int k = 0; k < OutputCount; k++)"))
                    {
                        using (w.Block($"for (int t = 0; t < {lanes}; t++)"))
                        {
                            w.Line($"Runtime::Unsafe.Add(ref output, (t * OutputCount) + k) = {type}.GetElement({previous}[k], t);");
                        }
                    }
                }
            }
        }
    }
}
