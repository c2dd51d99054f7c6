using System.Collections.Generic;
using System.Linq;
using GenBias.Generators.Helpers;

namespace GenBias.Generators
{
    // Batches for networks whose first layer reads tables: eight rows per kernel call. The first layer and every layer
    // of 8 or more neurons run row by row with their neurons in lanes (independent rows keep the core busy); a narrow
    // layer puts the rows in lanes (CanonicalSum.TreeOfRows), so its activation runs once per eight rows and an output
    // of width 1 is stored as one vector. Every value is computed in the canonical order: the bits of Forward.
    public sealed partial class TernaryNetworkGenerator
    {
        private const string V256 = "Simd::Vector256";

        /// <summary>Floats per row of layer l's buffer in the batch kernel.</summary>
        private static int BatchRowFloats(LayerPlan l) => l.Padded;

        private static void EmitBatchConstants(IndentedWriter w, List<LayerPlan> layers)
        {
            int offset = 0;
            w.Line("// The eight-row batch kernel's buffer: each layer's activations row by row (8 × padded width), then 8 lanes.");
            foreach (LayerPlan l in layers)
            {
                w.Member($"private const int Batch{l.Name} = {offset};");
                offset += 8 * BatchRowFloats(l);
            }

            w.Member($"private const int BatchLanes = {offset};");
            w.Member($"private const int BatchBufferSize = {offset + 8};");
        }

        /// <summary>
        /// Whether the eight-row kernel has a Vector512 form: some layer of more than 8 neurons runs with its neurons in
        /// lanes (then 16 of them per vector), and the network is not one the sixteen-row kernel takes.
        /// </summary>
        private static bool Batches8Vector512(List<LayerPlan> layers) =>
            !Batches16(layers) && layers.Any(l => Lanes16(l));

        /// <summary>Whether the Vector512 eight-row kernel computes layer <paramref name="l"/> sixteen neurons per vector.</summary>
        private static bool Lanes16(LayerPlan l) =>
            l.OverOutputs && l.Width > 8 && (l.Index > 0 || (l.Tables && l.TableStride % 16 == 0));

        private static void EmitTableBatchKernel(IndentedWriter w, List<LayerPlan> layers)
        {
            EmitTableBatchKernel(w, layers, false);
            if (Batches8Vector512(layers))
            {
                w.Line();
                EmitTableBatchKernel(w, layers, true);
            }

            EmitBatch16Kernel(w, layers);
            if (Rows16(layers))
            {
                EmitRows16Kernel(w, layers);
            }
        }

        private static void EmitTableBatchKernel(IndentedWriter w, List<LayerPlan> layers, bool wide)
        {
            LayerPlan output = layers[layers.Count - 1];
            w.Line("// Eight rows: masks holds each row's positive then negative mask, output receives 8 rows of outputs, buffer");
            w.Line("// holds BatchBufferSize floats (zero padding between calls). Same bits as Forward for every row.");
            if (wide)
            {
                w.Line("// Vector512: layers of more than 8 neurons hold 16 of them per vector, and a hidden layer's weight columns");
                w.Line("// are loaded once for two rows; every lane computes what the Vector256 kernel computes.");
            }

            if (layers.Count == 1 && Gathers(layers[0]))
            {
                w.Line("// A single neuron's kernel is a few instructions: inlined into the batch loops.");
                w.Line("[Runtime::MethodImpl(Runtime::MethodImplOptions.AggressiveInlining)]");
            }

            using (w.MemberBlock($"private void BatchRows8{(wide ? "Vector512" : "")}(ref ulong masks, ref float output, ref float buffer)"))
            {
                w.Line("ref float w = ref Interop::MemoryMarshal.GetArrayDataReference(_packed);");
                w.Line("ref float t = ref _tables.Origin;");
                w.Line("ref int keys = ref _tables.KeyOrigin; // ten mask bits → the offset of the group's row");
                foreach (LayerPlan l in layers)
                {
                    w.Line();
                    bool last = l == output;
                    if (l.Index == 0)
                    {
                        EmitBatchFirstLayer(w, l, last, wide && Lanes16(l));
                    }
                    else if (l.OverOutputs && wide && Lanes16(l))
                    {
                        EmitBatchOverOutputs512(w, l, layers[l.Index - 1]);
                    }
                    else if (l.OverOutputs)
                    {
                        EmitBatchOverOutputs(w, l, layers[l.Index - 1], wide);
                    }
                    else
                    {
                        EmitBatchNarrow(w, l, layers[l.Index - 1], last);
                    }

                    if (last && (l.OverOutputs || (l.Index == 0 && l.Width > 1)))
                    {
                        w.Line("// The outputs, row by row.");
                        using (w.Block("for (int r = 0; r < 8; r++)"))
                        {
                            w.Line($"Interop::MemoryMarshal.CreateReadOnlySpan(ref {Unsafe}.Add(ref buffer, Batch{l.Name} + (r * {BatchRowFloats(l)})), OutputCount)");
                            w.Line($"    .CopyTo(Interop::MemoryMarshal.CreateSpan(ref {Unsafe}.Add(ref output, r * OutputCount), OutputCount));");
                        }
                    }
                }
            }
        }

        /// <summary>Whether the batch kernel gathers the first layer's group sums (<see cref="ShapeRules.GathersFirstLayer"/>).</summary>
        private static bool Gathers(LayerPlan l) => l.Index == 0 && ShapeRules.GathersFirstLayer(l.Layer.InputCount, l.Width);

        private static void EmitBatchFirstLayer(IndentedWriter w, LayerPlan l, bool last, bool lanes16 = false)
        {
            string vector = lanes16 ? V512 : V256;
            int block = lanes16 ? 16 : 8;
            int stride = l.TableStride, groupFloats = ShapeRules.GroupRows * stride;
            int present = System.Math.Min(l.Groups, ShapeRules.PartialSums);
            bool gather = Gathers(l);
            System.IDisposable? otherwise = null;
            if (gather)
            {
                w.Line($"// Layer 0: {l.Describe}, eight rows in lanes: each group's key from the masks by vector shifts, its sum");
                w.Line("// gathered from the keyed copy of the table (the same floats), the fixed tree over the lanes.");
                w.Line($"{V256}<float> gathered; // the eight rows' pre-activations");
                using (w.Block("if (_tables.CanGather)"))
                {
                    w.Line("GBC::FirstLayerTables.GatherLanes8(ref masks, out Simd::Vector256<int> positive, out Simd::Vector256<int> negative);");
                    for (int g = 0; g < l.Groups; g++)
                    {
                        w.Line($"{V256}<float> s{g} = _tables.GatherGroup(positive, negative, {g}); // group {g}");
                    }

                    w.Line($"gathered = {TreeOfPresent(present, p => "s" + p)};");
                }

                w.Line("else");
                otherwise = w.Block();
                w.Line("// Without gathers (no AVX2): row by row.");
            }
            else
            {
                w.Line($"// Layer 0: {l.Describe}, from the tables, row by row, each row's activations as soon as its");
                w.Line("// pre-activations are summed (the next row's table loads overlap them).");
            }

            using (w.Block("for (int r = 0; r < 8; r++)"))
            {
                w.Line($"ulong positive = {Unsafe}.Add(ref masks, 2 * r), negative = {Unsafe}.Add(ref masks, (2 * r) + 1);");
                for (int g = 0; g < l.Groups; g++)
                {
                    string offset = g == 0 ? "" : $"{g * groupFloats} + ";
                    w.Line($"nuint r{g} = {offset}(nuint){Unsafe}.Add(ref keys, GBC::FirstLayerTables.Key(positive, negative, {g * ShapeRules.GroupSize})); // group {g}");
                }

                if (l.Width == 1)
                {
                    for (int g = 0; g < l.Groups; g++)
                    {
                        w.Line(g < ShapeRules.PartialSums ? $"float s{g} = {Unsafe}.Add(ref t, r{g});" : $"s{g % 8} += {Unsafe}.Add(ref t, r{g});");
                    }

                    w.Line($"{Unsafe}.Add(ref buffer, BatchLanes + r) = {TreeOfPresent(present, p => "s" + p)};");
                }
                else
                {
                    w.Line($"ref float y = ref {Unsafe}.Add(ref buffer, BatchLayer0 + (r * {BatchRowFloats(l)}));");
                    int blocks = (l.Width + block - 1) / block;
                    for (int b = 0; b < blocks; b++)
                    {
                        int lo = b * block, hi = System.Math.Min(lo + block, l.Width) - 1;
                        w.Line(lo == hi ? $"// Neuron {lo}" : $"// Neurons {lo}-{hi}");
                        using (w.Block())
                        {
                            for (int g = 0; g < l.Groups; g++)
                            {
                                string load = $"{vector}.LoadUnsafe(ref t, r{g}{(lo == 0 ? "" : " + " + lo)})";
                                w.Line(g < ShapeRules.PartialSums ? $"{vector}<float> s{g} = {load};" : $"s{g % 8} += {load};");
                            }

                            w.Line($"{vector}.StoreUnsafe(GB::ActivationMath.Apply(GB::Activation.{l.Activation}, {TreeOfPresent(present, p => "s" + p)}), ref y, {lo});");
                        }
                    }
                }
            }

            if (otherwise != null)
            {
                w.Line($"gathered = {V256}.LoadUnsafe(ref buffer, BatchLanes);");
                otherwise.Dispose();
            }

            if (l.Width == 1)
            {
                w.Line("// A single neuron: its eight rows are in lanes now.");
                string pre = gather ? "gathered" : $"{V256}.LoadUnsafe(ref buffer, BatchLanes)";
                w.Line($"{V256}<float> y0 = GB::ActivationMath.Apply(GB::Activation.{l.Activation}, {pre});");
                EmitLanesResult(w, l, "y0", 0, last);
            }
        }

        /// <summary>Stores neuron k's eight rows (lanes of <paramref name="y"/>) as outputs or into the layer's row buffer.</summary>
        private static void EmitLanesResult(IndentedWriter w, LayerPlan l, string y, int k, bool last)
        {
            if (last && l.Width == 1)
            {
                w.Line($"{V256}.StoreUnsafe({y}, ref output);");
            }
            else if (last)
            {
                for (int r = 0; r < 8; r++)
                {
                    w.Line($"{Unsafe}.Add(ref output, {(r * l.Width) + k}) = {V256}.GetElement({y}, {r});");
                }
            }
            else
            {
                for (int r = 0; r < 8; r++)
                {
                    w.Line($"{Unsafe}.Add(ref buffer, Batch{l.Name} + {(r * BatchRowFloats(l)) + k}) = {V256}.GetElement({y}, {r});");
                }
            }
        }

        private static void EmitBatchOverOutputs(IndentedWriter w, LayerPlan l, LayerPlan previous, bool wide = false)
        {
            int whole = l.Inputs / ShapeRules.PartialSums * ShapeRules.PartialSums;
            int blocks = (l.Width + 7) / 8;
            w.Line($"// Layer {l.Index}: {l.Describe}, row by row with the neurons in lanes; input j feeds partial sum j % 8.");
            using (w.Block())
            {
                w.Line($"ref float p = ref {Unsafe}.Add(ref w, {l.Name}Packed); // column j (input j to every neuron) at j * {l.Padded}");
                using (w.Block("for (int r = 0; r < 8; r++)"))
                {
                    w.Line($"ref float a = ref {Unsafe}.Add(ref buffer, Batch{previous.Name} + (r * {BatchRowFloats(previous)}));");
                    w.Line($"ref float y = ref {Unsafe}.Add(ref buffer, Batch{l.Name} + (r * {BatchRowFloats(l)}));");
                    for (int b = 0; b < blocks; b++)
                    {
                        int lo = b * 8, hi = System.Math.Min(lo + 8, l.Width) - 1;
                        w.Line(lo == hi ? $"// Neuron {lo}" : $"// Neurons {lo}-{hi}");
                        using (w.Block())
                        {
                            w.Line($"{V256}<float> s0 = {V256}<float>.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;");
                            if (whole > 0)
                            {
                                using (w.Block($"for (int j = 0; j < {whole}; j += 8)"))
                                {
                                    w.Line($"ref float column = ref {Unsafe}.Add(ref p, j * {l.Padded});");
                                    for (int t = 0; t < 8; t++)
                                    {
                                        string at = t == 0 ? "j" : $"j + {t}";
                                        w.Line($"s{t} = {V256}.FusedMultiplyAdd({V256}.Create({Unsafe}.Add(ref a, {at})), {V256}.LoadUnsafe(ref column, {(t * l.Padded) + lo}), s{t});");
                                    }
                                }
                            }

                            for (int j = whole; j < l.Inputs; j++)
                            {
                                w.Line($"s{j % 8} = {V256}.FusedMultiplyAdd({V256}.Create({Unsafe}.Add(ref a, {j})), {V256}.LoadUnsafe(ref p, {(j * l.Padded) + lo}), s{j % 8}); // input {j}");
                            }

                            w.Line($"{V256}<float> pre = GBC::CanonicalSum.Tree(s0, s1, s2, s3, s4, s5, s6, s7) + {V256}.LoadUnsafe(ref p, {(l.Inputs * l.Padded) + lo});");
                            w.Line($"{V256}.StoreUnsafe(pre, ref y, {lo});");
                        }
                    }
                }

                w.Line();
                if (wide && blocks == 1)
                {
                    EmitBatchActivationPairs(w, l);
                }
                else
                {
                    EmitBatchActivation(w, l);
                }
            }
        }

        /// <summary>
        /// The activations of a layer of 8 neurons on Vector512: two rows' eight pre-activations per vector, so the eight
        /// rows take four activations instead of eight (each lane computes what the Vector256 form computes).
        /// </summary>
        private static void EmitBatchActivationPairs(IndentedWriter w, LayerPlan l)
        {
            int rowFloats = BatchRowFloats(l);
            w.Line("// The activations of the eight rows, two rows per Vector512: 4 independent vectors.");
            using (w.Block("for (int r = 0; r < 8; r += 2)"))
            {
                w.Line($"ref float y = ref {Unsafe}.Add(ref buffer, Batch{l.Name} + (r * {rowFloats}));");
                w.Line($"{V512}<float> pair = GB::ActivationMath.Apply(GB::Activation.{l.Activation}, {V512}.Create({V256}.LoadUnsafe(ref y), {V256}.LoadUnsafe(ref y, {rowFloats})));");
                w.Line($"{V256}.StoreUnsafe({V512}.GetLower(pair), ref y);");
                w.Line($"{V256}.StoreUnsafe({V512}.GetUpper(pair), ref y, {rowFloats});");
            }
        }

        /// <summary>Applies the layer's activation to the pre-activations of its eight buffered rows, in place.</summary>
        private static void EmitBatchActivation(IndentedWriter w, LayerPlan l, bool lanes16 = false)
        {
            string vector = lanes16 ? V512 : V256;
            int block = lanes16 ? 16 : 8, blocks = (l.Width + block - 1) / block;
            w.Line($"// The activations of the eight rows: {8 * blocks} independent vectors.");
            using (w.Block("for (int r = 0; r < 8; r++)"))
            {
                w.Line($"ref float y = ref {Unsafe}.Add(ref buffer, Batch{l.Name} + (r * {BatchRowFloats(l)}));");
                for (int b = 0; b < blocks; b++)
                {
                    w.Line($"{vector}.StoreUnsafe(GB::ActivationMath.Apply(GB::Activation.{l.Activation}, {vector}.LoadUnsafe(ref y, {b * block})), ref y, {b * block});");
                }
            }
        }

        /// <summary>
        /// A layer of more than 8 neurons on Vector512: 16 neurons per vector and two rows per tile, so each weight column
        /// is loaded once for both rows; each row's neuron still sums input j into partial sum j % 8 (the lanes compute
        /// exactly what <see cref="EmitBatchOverOutputs"/> computes).
        /// </summary>
        private static void EmitBatchOverOutputs512(IndentedWriter w, LayerPlan l, LayerPlan previous)
        {
            int whole = l.Inputs / ShapeRules.PartialSums * ShapeRules.PartialSums;
            int blocks = (l.Width + 15) / 16, rowFloats = BatchRowFloats(previous), outFloats = BatchRowFloats(l);
            w.Line($"// Layer {l.Index}: {l.Describe}, two rows per tile with 16 neurons per vector; input j feeds partial sum j % 8.");
            using (w.Block())
            {
                w.Line($"ref float p = ref {Unsafe}.Add(ref w, {l.Name}Packed); // column j (input j to every neuron) at j * {l.Padded}");
                using (w.Block("for (int r = 0; r < 8; r += 2)"))
                {
                    w.Line($"ref float a = ref {Unsafe}.Add(ref buffer, Batch{previous.Name} + (r * {rowFloats})); // row r, then row r + 1 at {rowFloats}");
                    w.Line($"ref float y = ref {Unsafe}.Add(ref buffer, Batch{l.Name} + (r * {outFloats}));");
                    for (int b = 0; b < blocks; b++)
                    {
                        int lo = b * 16, hi = System.Math.Min(lo + 16, l.Width) - 1;
                        w.Line(lo == hi ? $"// Neuron {lo}" : $"// Neurons {lo}-{hi}");
                        using (w.Block())
                        {
                            w.Line($"{V512}<float> s0 = {V512}<float>.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;");
                            w.Line($"{V512}<float> u0 = s0, u1 = s0, u2 = s0, u3 = s0, u4 = s0, u5 = s0, u6 = s0, u7 = s0;");
                            void Input(string index, string column, int t, string comment)
                            {
                                w.Line($"c = {V512}.LoadUnsafe(ref {column});{comment}");
                                w.Line($"s{t} = {V512}.FusedMultiplyAdd({V512}.Create({Unsafe}.Add(ref a, {index})), c, s{t});");
                                w.Line($"u{t} = {V512}.FusedMultiplyAdd({V512}.Create({Unsafe}.Add(ref a, {rowFloats} + {index})), c, u{t});");
                            }

                            w.Line($"{V512}<float> c;");
                            if (whole > 0)
                            {
                                using (w.Block($"for (int j = 0; j < {whole}; j += 8)"))
                                {
                                    w.Line($"ref float column = ref {Unsafe}.Add(ref p, (j * {l.Padded}) + {lo});");
                                    for (int t = 0; t < 8; t++)
                                    {
                                        Input(t == 0 ? "j" : $"j + {t}", t == 0 ? "column" : $"{Unsafe}.Add(ref column, {t * l.Padded})", t, "");
                                    }
                                }
                            }

                            for (int j = whole; j < l.Inputs; j++)
                            {
                                Input($"{j}", $"{Unsafe}.Add(ref p, {(j * l.Padded) + lo})", j % 8, $" // input {j}");
                            }

                            w.Line($"{V512}<float> bias = {V512}.LoadUnsafe(ref p, {(l.Inputs * l.Padded) + lo});");
                            w.Line($"{V512}.StoreUnsafe(GBC::CanonicalSum.Tree(s0, s1, s2, s3, s4, s5, s6, s7) + bias, ref y, {lo});");
                            w.Line($"{V512}.StoreUnsafe(GBC::CanonicalSum.Tree(u0, u1, u2, u3, u4, u5, u6, u7) + bias, ref y, {outFloats + lo});");
                        }
                    }
                }

                w.Line();
                EmitBatchActivation(w, l, true);
            }
        }

        private static void EmitBatchNarrow(IndentedWriter w, LayerPlan l, LayerPlan previous, bool last)
        {
            int chunks = l.Stride / 8, rowFloats = BatchRowFloats(previous);
            w.Line($"// Layer {l.Index}: {l.Describe}, rows in lanes: per row, lane l accumulates inputs l, l + 8, … (the canonical");
            w.Line("// partial sums); the fixed tree of the eight rows at once puts row r in lane r.");
            using (w.Block())
            {
                w.Line($"ref float p = ref {Unsafe}.Add(ref w, {l.Name}Packed); // neuron k's weights at k * {l.Stride}, zero padded");
                w.Line($"ref float a = ref {Unsafe}.Add(ref buffer, Batch{previous.Name});");
                for (int k = 0; k < l.Width; k++)
                {
                    w.Line($"// Neuron {k}");
                    using (w.Block())
                    {
                        if (chunks <= 4)
                        {
                            // The neuron's weights once, then per row a chain of multiply-adds over its chunks of 8 inputs.
                            for (int c = 0; c < chunks; c++)
                            {
                                w.Line($"{V256}<float> w{c} = {V256}.LoadUnsafe(ref p, {(k * l.Stride) + (c * 8)});");
                            }

                            for (int r = 0; r < 8; r++)
                            {
                                w.Line($"{V256}<float> n{r} = {V256}.FusedMultiplyAdd({V256}.LoadUnsafe(ref a, {r * rowFloats}), w0, {V256}<float>.Zero);");
                                for (int c = 1; c < chunks; c++)
                                {
                                    w.Line($"n{r} = {V256}.FusedMultiplyAdd({V256}.LoadUnsafe(ref a, {(r * rowFloats) + (c * 8)}), w{c}, n{r});");
                                }
                            }
                        }
                        else
                        {
                            w.Line(string.Join(", ", Enumerable.Range(0, 8).Select(r => r == 0 ? $"{V256}<float> n0 = {V256}<float>.Zero" : $"n{r} = n0")) + ";");
                            using (w.Block($"for (int j = 0; j < {l.Stride}; j += 8)"))
                            {
                                w.Line($"{V256}<float> wj = {V256}.LoadUnsafe(ref p, (nuint)({k * l.Stride} + j));");
                                for (int r = 0; r < 8; r++)
                                {
                                    w.Line($"n{r} = {V256}.FusedMultiplyAdd({V256}.LoadUnsafe(ref a, (nuint)({r * rowFloats} + j)), wj, n{r});");
                                }
                            }
                        }

                        w.Line($"{V256}<float> pre = GBC::CanonicalSum.TreeOfRows(n0, n1, n2, n3, n4, n5, n6, n7) + {V256}.Create({Unsafe}.Add(ref p, {(l.Width * l.Stride) + k}));");
                        w.Line($"{V256}<float> y = GB::ActivationMath.Apply(GB::Activation.{l.Activation}, pre);");
                        EmitLanesResult(w, l, "y", k, last);
                    }
                }
            }
        }
    }
}
