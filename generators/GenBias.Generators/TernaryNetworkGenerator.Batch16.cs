using System.Collections.Generic;
using System.Linq;
using GenBias.Generators.Helpers;

namespace GenBias.Generators
{
    // Sixteen rows per kernel call on Vector512, the rows' masks in the lanes of two vectors (from packed rows by
    // FirstLayerTables.GatherLanes16; from sbyte rows, 64 at a time, by one compare of 64 bytes per input into bit streams,
    // then FirstLayerTables.UnpackLanes16). Two kernels:
    // - a table-driven hidden layer of 9 to 16 neurons over at most 32 inputs followed by one output neuron (25 → 16 → 1):
    //   each group's table row is derived for all sixteen rows at once (two 32-entry permutes of the base-3 values per
    //   group), each row's hidden neurons are one Vector512 (one table row load per group, one activation), and the output
    //   neuron is summed for the sixteen rows at once from registers: two rows' halves per vector, then three shuffle
    //   levels of the fixed tree, so every row gets the bits of Forward;
    // - one neuron over at most 32 inputs (25 → 1): each group's keyed offsets derived for the sixteen rows at once, each
    //   row's group sums loaded from the keyed table (scalar loads: cheaper than gathers) and summed in the fixed tree, the
    //   sixteen rows put in lanes for one activation.
    // Both kernels store the offsets of the next block while they compute this one's (stored by the previous call), so
    // that the scalar loads of the offsets never wait for the vector stores that wrote them.
    public sealed partial class TernaryNetworkGenerator
    {
        private const string V512 = "Simd::Vector512";
        private const string Avx512 = "Simd::X86.Avx512F";

        /// <summary>Whether the batch of this network runs sixteen rows per call where Vector512 is accelerated.</summary>
        private static bool Batches16(List<LayerPlan> layers) => Hidden16(layers) || Neuron16(layers);

        /// <summary>A table-driven hidden layer of 9 to 16 neurons over at most 32 inputs, then one output neuron.</summary>
        private static bool Hidden16(List<LayerPlan> layers) =>
            layers.Count == 2 && layers[0].Tables && layers[0].Inputs <= 32 && layers[0].Width > 8 && layers[0].TableStride == 16
            && layers[1].Width == 1 && !layers[1].OverOutputs && layers[1].Stride == 16;

        /// <summary>One neuron over at most 32 inputs, with the keyed copy of its tables (<see cref="Gathers"/>).</summary>
        private static bool Neuron16(List<LayerPlan> layers) => layers.Count == 1 && Gathers(layers[0]);

        /// <summary>Ints of one block's offsets in the sixteen-row kernels (two blocks' are kept: this one's, the next one's).</summary>
        private static int Offsets16Ints(LayerPlan first) => first.Groups * 16;

        /// <summary>
        /// The call of the sixteen-row kernel for output row <paramref name="row"/>: it gets the lanes of the next block and
        /// stores their offsets (row offsets, or keyed offsets for one neuron) while it computes this block's, stored by
        /// the previous call; so the offsets reach the cache long before they are read.
        /// </summary>
        private static string[] Call16(List<LayerPlan> layers, string positive, string negative, string row)
        {
            int f = Offsets16Ints(layers[0]);
            return new[]
            {
                $"BatchLanes16({positive}, {negative}, ref {Unsafe}.Add(ref last, {row}), ref {Unsafe}.Add(ref c0, half), ref {Unsafe}.Add(ref c0, {f} - half));",
                $"half = {f} - half;",
            };
        }

        private static void Lines(IndentedWriter w, IEnumerable<string> lines)
        {
            foreach (string line in lines)
            {
                w.Line(line);
            }
        }

        /// <summary>
        /// The driver's loop over blocks of sixteen rows (before the eight-row loop), when <see cref="Batches16"/> holds:
        /// packed rows are read in place; sbyte rows are packed 64 at a time into bit streams (up to 25 inputs, with
        /// AVX-512 VBMI; packed two chunks ahead of the kernel calls), the rest through the masks of <see cref="EmitSbyteChunks"/>.
        /// </summary>
        private static void EmitBatch16Loop(IndentedWriter w, List<LayerPlan> layers, bool packed)
        {
            if (!Batches16(layers))
            {
                return;
            }

            int inputs = layers[0].Inputs, words = inputs + 8;
            const string Lanes = "GBC::FirstLayerTables.GatherLanes16";
            using (w.Block($"if (path != GB::ComputePath.Vector256 && {V512}.IsHardwareAccelerated)"))
            {
                w.Line($"// Sixteen rows per kernel call.");
                w.Line($"Sys::Span<int> offsets16 = stackalloc int[{2 * Offsets16Ints(layers[0])}]; // this block's offsets and the next one's, alternating");
                w.Line("ref int c0 = ref Interop::MemoryMarshal.GetReference(offsets16);");
                w.Line("int half = 0;");

                if (packed)
                {
                    using (w.Block("if (r + 16 <= rows)"))
                    {
                        w.Line($"{Lanes}(ref {Unsafe}.Add(ref first, 2 * r), out {V512}<int> positive, out {V512}<int> negative);");
                        w.Line($"Offsets16(positive, negative, ref {Unsafe}.Add(ref c0, half));");
                        using (w.Block("for (; r + 16 <= rows; r += 16)"))
                        {
                            w.Line("// The next block's lanes (this block's again for the last one: their offsets are not read).");
                            w.Line($"{Lanes}(ref {Unsafe}.Add(ref first, 2 * (r + 32 <= rows ? r + 16 : r)), out positive, out negative);");
                            Lines(w, Call16(layers, "positive", "negative", "r"));
                        }
                    }

                    return;
                }

                if (inputs <= 25)
                {
                    using (w.Block("if (r + 64 <= rows && GBC::FirstLayerTables.CanUnpackLanes16(InputCount))"))
                    {
                        w.Line("// 64 rows at a time: their values as two bit streams (positive, negative: 2 × 64 bytes per input), packed two");
                        w.Line("// chunks ahead into three pairs of streams (so the streams' stores reach the cache before the wide loads that");
                        w.Line("// read them), four kernel calls on their lanes.");
                        w.Line("(Simd::Vector512<byte> bytes, Simd::Vector512<uint> shifts) = GBC::FirstLayerTables.UnpackConstants(InputCount);");
                        w.Line($"Sys::Span<ulong> streams = stackalloc ulong[{6 * words}];");
                        w.Line("streams.Clear();");
                        w.Line("ref ulong s0 = ref Interop::MemoryMarshal.GetReference(streams);");
                        w.Line($"GBC::FirstLayerTables.PackRows64(ref {Unsafe}.Add(ref first, r * InputCount), InputCount, ref s0, ref {Unsafe}.Add(ref s0, {words}));");
                        using (w.Block("if (r + 128 <= rows)"))
                        {
                            w.Line($"GBC::FirstLayerTables.PackRows64(ref {Unsafe}.Add(ref first, (r + 64) * InputCount), InputCount, ref {Unsafe}.Add(ref s0, {2 * words}), ref {Unsafe}.Add(ref s0, {3 * words}));");
                        }

                        w.Line($"Offsets16(GBC::FirstLayerTables.UnpackLanes16(ref s0, InputCount, 0, bytes, shifts), GBC::FirstLayerTables.UnpackLanes16(ref {Unsafe}.Add(ref s0, {words}), InputCount, 0, bytes, shifts), ref {Unsafe}.Add(ref c0, half));");
                        using (w.Block("for (int c = 0; r + 64 <= rows; r += 64, c = c == 2 ? 0 : c + 1)"))
                        {
                            w.Line("int c1 = c == 2 ? 0 : c + 1, c2 = c1 == 2 ? 0 : c1 + 1;");
                            w.Line($"ref ulong current = ref {Unsafe}.Add(ref s0, c * {2 * words}), next = ref {Unsafe}.Add(ref s0, c1 * {2 * words});");
                            using (w.Block("if (r + 192 <= rows)"))
                            {
                                w.Line($"ref ulong ahead = ref {Unsafe}.Add(ref s0, c2 * {2 * words});");
                                w.Line($"GBC::FirstLayerTables.PackRows64(ref {Unsafe}.Add(ref first, (r + 128) * InputCount), InputCount, ref ahead, ref {Unsafe}.Add(ref ahead, {words}));");
                            }

                            using (w.Block("for (int b = 0; b < 4; b++)"))
                            {
                                w.Line("// The next block's lanes: of these streams, or the first of the next ones (after the last chunk: not read).");
                                w.Line("ref ulong source = ref b < 3 ? ref current : ref next;");
                                w.Line("int block = (b + 1) & 3;");
                                Lines(w, Call16(layers, "GBC::FirstLayerTables.UnpackLanes16(ref source, InputCount, block, bytes, shifts)",
                                    $"GBC::FirstLayerTables.UnpackLanes16(ref {Unsafe}.Add(ref source, {words}), InputCount, block, bytes, shifts)", "r + (16 * b)"));
                            }
                        }
                    }

                    w.Line();
                }

                w.Line($"Sys::Span<ulong> masks16 = stackalloc ulong[{2 * SbyteChunkRows}];");
                w.Line("ref ulong n0 = ref Interop::MemoryMarshal.GetReference(masks16);");
                EmitSbyteChunks(w, inputs, 16, "n0", b => new[]
                    {
                        $"{Lanes}(ref {Unsafe}.Add(ref n0, 2 * ({b} + 16 < chunk ? {b} + 16 : {b})), out {V512}<int> positive, out {V512}<int> negative);",
                    }.Concat(Call16(layers, "positive", "negative", $"r + {b}")),
                    () =>
                    {
                        w.Line($"{Lanes}(ref n0, out {V512}<int> positive0, out {V512}<int> negative0);");
                        w.Line($"Offsets16(positive0, negative0, ref {Unsafe}.Add(ref c0, half));");
                    });
            }
        }

        /// <summary>Rows of sbyte input packed before the kernel calls that read them (<see cref="EmitSbyteChunks"/>).</summary>
        private const int SbyteChunkRows = 64;

        /// <summary>
        /// The loop over sbyte rows for a kernel of <paramref name="perCall"/> rows: up to 64 rows packed into
        /// <paramref name="masks"/>, then the kernel <paramref name="call"/>s (given the chunk's row offset expression) over
        /// them. Packing a whole chunk first lets the masks' stores reach the cache before the kernel's wide loads read
        /// them (a wide load right after the narrow stores it spans waits for them).
        /// </summary>
        private static void EmitSbyteChunks(IndentedWriter w, int inputs, int perCall, string masks, System.Func<string, string> call) =>
            EmitSbyteChunks(w, inputs, perCall, masks, b => new[] { call(b) }, null);

        /// <summary>
        /// <see cref="EmitSbyteChunks(IndentedWriter, int, int, string, System.Func{string, string})"/> with a call of
        /// several lines, and <paramref name="before"/> emitted once per chunk, after the packing, before the calls.
        /// </summary>
        private static void EmitSbyteChunks(IndentedWriter w, int inputs, int perCall, string masks, System.Func<string, IEnumerable<string>> call, System.Action? before)
        {
            int spare = SpareRows(inputs);
            using (w.Block($"for (; r + {perCall + spare} <= rows; )"))
            {
                w.Line($"int chunk = Sys::Math.Min({SbyteChunkRows}, (rows - {spare} - r) / {perCall} * {perCall});");
                EmitPackValidRows(w, inputs, "chunk", masks);
                before?.Invoke();
                using (w.Block($"for (int b = 0; b < chunk; b += {perCall})"))
                {
                    Lines(w, call("b"));
                }

                w.Line("r += chunk;");
            }
        }

        /// <summary>
        /// Rows beyond the last block that a loop reading <see cref="RowBytes"/> bytes per row must leave to the
        /// loops after it (0 when rows are packed one value at a time).
        /// </summary>
        private static int SpareRows(int inputs) => inputs <= 32 ? (RowBytes(inputs) - inputs + inputs - 1) / inputs : 0;

        /// <summary>Bytes read per sbyte row by <see cref="EmitPackValidRows"/>: one Vector128 up to 16 inputs, else one Vector256.</summary>
        private static int RowBytes(int inputs) => inputs <= 16 ? 16 : 32;

        /// <summary>
        /// Packs <paramref name="count"/> (an expression) sbyte rows starting at row r into <paramref name="masks"/> (positive, negative per
        /// row). The rows were validated: up to 32 inputs, each row's masks are two compares of its 16 or 32 bytes (the loop
        /// leaves <see cref="SpareRows"/> rows at the end of the batch so that no read passes it); longer rows go through
        /// TernaryInput.TryPack.
        /// </summary>
        private static void EmitPackValidRows(IndentedWriter w, int inputs, string count, string masks)
        {
            using (w.Block($"for (int i = 0; i < {count}; i++)"))
            {
                if (inputs > 32)
                {
                    w.Line($"GB::TernaryInput.TryPack(ref {Unsafe}.Add(ref first, (r + i) * InputCount), InputCount,");
                    w.Line($"    out {Unsafe}.Add(ref {masks}, 2 * i), out {Unsafe}.Add(ref {masks}, (2 * i) + 1));");
                    return;
                }

                string vector = RowBytes(inputs) == 16 ? "Simd::Vector128" : V256;
                w.Line($"{vector}<sbyte> v = {vector}.LoadUnsafe(ref {Unsafe}.Add(ref first, (r + i) * InputCount));");
                string mask = inputs == RowBytes(inputs) ? "" : $" & 0x{(1u << inputs) - 1:X}u";
                w.Line($"{Unsafe}.Add(ref {masks}, 2 * i) = {vector}.ExtractMostSignificantBits({vector}.Equals(v, {vector}<sbyte>.One)){mask};");
                w.Line($"{Unsafe}.Add(ref {masks}, (2 * i) + 1) = {vector}.ExtractMostSignificantBits({vector}.Equals(v, {vector}<sbyte>.AllBitsSet)){mask};");
            }
        }

        private static string Ints(IEnumerable<int> values) => $"{V512}.Create({string.Join(", ", values)})";

        private static void EmitBatch16Kernel(IndentedWriter w, List<LayerPlan> layers)
        {
            if (Neuron16(layers))
            {
                EmitNeuron16Kernel(w, layers[0]);
            }
            else if (Hidden16(layers))
            {
                EmitHidden16Kernel(w, layers[0], layers[1]);
            }
        }

        private static void EmitNeuron16Kernel(IndentedWriter w, LayerPlan l)
        {
            int present = System.Math.Min(l.Groups, ShapeRules.PartialSums);
            w.Line();
            w.Line("// Sixteen rows: offsets holds their keys (Offsets16), output receives their 16 outputs; lane r of positive");
            w.Line("// and negative holds row r's masks of the next block, whose offsets go to next. Requires Vector512 (AVX-512F). Same");
            w.Line("// bits as Forward for every row.");
            using (w.MemberBlock($"private void BatchLanes16({V512}<int> positive, {V512}<int> negative, ref float output, ref int offsets, ref int next)"))
            {
                w.Line("Offsets16(positive, negative, ref next);");
                w.Line("ref float t = ref _tables.KeyedOrigin;");
                w.Line($"// Layer 0: {l.Describe}: each row's group sums loaded from the keyed table and summed in the fixed tree");
                w.Line("// (NeuronRow16), the sixteen rows put in lanes, one activation.");
                for (int q = 0; q < 4; q++)
                {
                    string rows = string.Join(", ", Enumerable.Range(4 * q, 4).Select(r => $"NeuronRow16(ref t, ref offsets, {r})"));
                    w.Line($"Simd::Vector128<float> q{q} = Simd::Vector128.Create({rows});");
                }

                w.Line($"{V512}<float> pre = {V512}.Create({V256}.Create(q0, q1), {V256}.Create(q2, q3));");
                w.Line($"{V512}.StoreUnsafe(GB::ActivationMath.Apply(GB::Activation.{l.Activation}, pre), ref output);");
            }

            w.Line();
            w.Line("// Row r's pre-activation: its group sums from the keyed tables (keys of BatchLanes16), the fixed tree.");
            w.Line("[Runtime::MethodImpl(Runtime::MethodImplOptions.AggressiveInlining)]");
            using (w.MemberBlock("private static float NeuronRow16(ref float t, ref int offsets, int r)"))
            {
                w.Line($"offsets = ref {Unsafe}.Add(ref offsets, r); // group g's key at g * 16, its table at t + g * KeysPerGroup");
                for (int g = 0; g < l.Groups; g++)
                {
                    string load = g == 0 ? $"{Unsafe}.Add(ref t, offsets)" : $"{Unsafe}.Add(ref t, (nint){Unsafe}.Add(ref offsets, {g * 16}) + ({g} * GBC::FirstLayerTables.KeysPerGroup))";
                    w.Line(g < ShapeRules.PartialSums ? $"float s{g} = {load};" : $"s{g % 8} += {load};");
                }

                w.Line($"return {TreeOfPresent(present, q => "s" + q)};");
            }

            w.Line();
            w.Line($"// The keys of sixteen rows (lane r of the masks: row r) per group: group g's key of row r at g * 16 + r.");
            w.Line("[Runtime::MethodImpl(Runtime::MethodImplOptions.AggressiveInlining)]");
            using (w.MemberBlock($"private static void Offsets16({V512}<int> positive, {V512}<int> negative, ref int offsets)"))
            {
                for (int g = 0; g < l.Groups; g++)
                {
                    w.Line($"{V512}.StoreUnsafe(GBC::FirstLayerTables.Keys16(positive, negative, {g}), ref offsets, {g * 16}); // group {g}");
                }
            }
        }

        private static void EmitHidden16Kernel(IndentedWriter w, LayerPlan first, LayerPlan output)
        {
            int groupFloats = ShapeRules.GroupRows * 16, present = System.Math.Min(first.Groups, ShapeRules.PartialSums);
            int[] base3 = Base3Of5Bits();
            w.Line();
            w.Line("// Sixteen rows: offsets holds their row offsets (Offsets16), output receives their 16 outputs; lane r of positive");
            w.Line("// and negative holds row r's masks of the next block, whose offsets go to next. Requires Vector512 (AVX-512F). Same");
            w.Line("// bits as Forward for every row.");
            using (w.MemberBlock($"private void BatchLanes16({V512}<int> positive, {V512}<int> negative, ref float output, ref int offsets, ref int next)"))
            {
                w.Line("Offsets16(positive, negative, ref next);");
                w.Line("ref float t = ref _tables.Origin;");
                w.Line();
                w.Line($"// Layer 0: {first.Describe}, each row's neurons in one Vector512 (HiddenSum16, then the activation). Layer 1: {output.Describe},");
                w.Line("// two rows per vector: lane l of a row chains inputs l and l + 8 (the canonical partial sums); then the fixed tree");
                w.Line("// for the sixteen rows at once: (p0+p4, …, p3+p7), the two quarters, their sum. Everything stays in registers.");
                w.Line($"ref float p = ref {Unsafe}.Add(ref Interop::MemoryMarshal.GetArrayDataReference(_packed), {output.Name}Packed);");
                w.Line($"{V512}<float> lower = {V512}.Create({V256}.LoadUnsafe(ref p, 0)), upper = {V512}.Create({V256}.LoadUnsafe(ref p, 8));");
                w.Line($"{V512}<float> a0 = HiddenSum16(ref t, ref offsets, 0), b0 = HiddenSum16(ref t, ref offsets, 1); // rows 0, 1");
                w.Line($"{V512}<float> a1 = HiddenSum16(ref t, ref offsets, 2), b1 = HiddenSum16(ref t, ref offsets, 3); // rows 2, 3");
                for (int q = 0; q < 8; q++)
                {
                    if (q < 6)
                    {
                        w.Line($"// Rows {(2 * q) + 4}, {(2 * q) + 5} summed before rows {2 * q}, {(2 * q) + 1} are activated: their table loads start early.");
                        w.Line($"{V512}<float> a{q + 2} = HiddenSum16(ref t, ref offsets, {(2 * q) + 4}), b{q + 2} = HiddenSum16(ref t, ref offsets, {(2 * q) + 5});");
                    }

                    w.Line($"{V512}<float> p{q} = PairProducts16(GB::ActivationMath.Apply(GB::Activation.{first.Activation}, a{q}), " +
                        $"GB::ActivationMath.Apply(GB::Activation.{first.Activation}, b{q}), lower, upper);");
                    if (q % 2 == 1)
                    {
                        int h = q / 2;
                        w.Line($"{V512}<float> h{h} = {Avx512}.Shuffle4x128(p{q - 1}, p{q}, 0x88) + {Avx512}.Shuffle4x128(p{q - 1}, p{q}, 0xDD); // rows {4 * h}-{(4 * h) + 3}");
                    }
                }

                w.Line($"{V512}<float> k0 = {Avx512}.Shuffle(h0, h1, 0x44) + {Avx512}.Shuffle(h0, h1, 0xEE), k1 = {Avx512}.Shuffle(h2, h3, 0x44) + {Avx512}.Shuffle(h2, h3, 0xEE);");
                w.Line($"{V512}<float> sum = {Avx512}.Shuffle(k0, k1, 0x88) + {Avx512}.Shuffle(k0, k1, 0xDD); // rows c, c + 4, c + 8, c + 12 in block c");
                w.Line($"{V512}<float> pre = {Avx512}.PermuteVar16x32(sum, {Ints(Enumerable.Range(0, 16).Select(r => (4 * (r % 4)) + (r / 4)))}) + {V512}.Create({Unsafe}.Add(ref p, 16));");
                w.Line($"{V512}.StoreUnsafe(GB::ActivationMath.Apply(GB::Activation.{output.Activation}, pre), ref output);");
            }

            w.Line();
            w.Line("// Row r's hidden pre-activations: one table row per group (offsets of BatchLanes16), the fixed tree.");
            w.Line("[Runtime::MethodImpl(Runtime::MethodImplOptions.AggressiveInlining)]");
            using (w.MemberBlock($"private static {V512}<float> HiddenSum16(ref float t, ref int offsets, int r)"))
            {
                w.Line($"offsets = ref {Unsafe}.Add(ref offsets, r); // group g's row offset at g * 16, its table at t + g * {groupFloats}");
                for (int g = 0; g < first.Groups; g++)
                {
                    w.Line(g == 0
                        ? $"{V512}<float> s0 = {V512}.LoadUnsafe(ref t, (nuint)(uint)offsets);"
                        : $"{V512}<float> s{g} = {V512}.LoadUnsafe(ref t, (nuint)(uint){Unsafe}.Add(ref offsets, {g * 16}) + {g * groupFloats});");
                }

                w.Line($"return {TreeOfPresent(present, q => "s" + q)};");
            }

            w.Line();
            w.Line("// Two rows' output partial sums side by side: lane l (l < 8) of row a is fma(y[l + 8], w[l + 8], fma(y[l], w[l], 0)),");
            w.Line("// lanes 8-15 the same of row b (lower: w[0..7] twice, upper: w[8..15] twice).");
            w.Line("[Runtime::MethodImpl(Runtime::MethodImplOptions.AggressiveInlining)]");
            using (w.MemberBlock($"private static {V512}<float> PairProducts16({V512}<float> a, {V512}<float> b, {V512}<float> lower, {V512}<float> upper)"))
            {
                w.Line($"return {V512}.FusedMultiplyAdd({Avx512}.Shuffle4x128(a, b, 0xEE), upper, {V512}.FusedMultiplyAdd({Avx512}.Shuffle4x128(a, b, 0x44), lower, {V512}<float>.Zero));");
            }

            w.Line();
            w.Line($"// The row offsets of sixteen rows (lane r of the masks: row r) in their group's table: group g's of row r at g * 16 + r.");
            w.Line("[Runtime::MethodImpl(Runtime::MethodImplOptions.AggressiveInlining)]");
            using (w.MemberBlock($"private static void Offsets16({V512}<int> positive, {V512}<int> negative, ref int offsets)"))
            {
                w.Line("// Five mask bits → their base-3 value times the row stride (positive) or twice that (negative): 32 entries each,");
                w.Line("// indexed by the low five bits of each lane (the permutes read no others).");
                w.Line($"{V512}<int> plusLow = {Ints(base3.Take(16).Select(b => b * 16))}, plusHigh = {Ints(base3.Skip(16).Select(b => b * 16))};");
                w.Line($"{V512}<int> minusLow = {Ints(base3.Take(16).Select(b => b * 32))}, minusHigh = {Ints(base3.Skip(16).Select(b => b * 32))};");
                for (int g = 0; g < first.Groups; g++)
                {
                    int shift = g * ShapeRules.GroupSize;
                    string p = shift == 0 ? "positive" : $"{V512}.ShiftRightLogical(positive, {shift})";
                    string n = shift == 0 ? "negative" : $"{V512}.ShiftRightLogical(negative, {shift})";
                    w.Line($"{V512}.StoreUnsafe({Avx512}.PermuteVar16x32x2(plusLow, {p}, plusHigh) + {Avx512}.PermuteVar16x32x2(minusLow, {n}, minusHigh), ref offsets, {g * 16}); // group {g}");
                }
            }
        }
    }
}
