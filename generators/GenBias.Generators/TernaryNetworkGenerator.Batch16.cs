using System.Collections.Generic;
using System.Linq;
using GenBias.Generators.Helpers;

namespace GenBias.Generators
{
    // Sixteen rows per kernel call on Vector512 for a table-driven hidden layer of 9 to 16 neurons over at most 32 inputs
    // followed by one output neuron (25 → 16 → 1): each group's table row is derived for all sixteen rows at once from
    // their masks (two 32-entry permutes of the base-3 values per group), each row's hidden neurons are one Vector512
    // (one table row load per group, one activation), and the output neuron is summed for the sixteen rows at once:
    // paired halves, then three shuffle levels of the fixed tree, so every row gets the bits of Forward.
    public sealed partial class TernaryNetworkGenerator
    {
        private const string V512 = "Simd::Vector512";
        private const string Avx512 = "Simd::X86.Avx512F";

        /// <summary>Whether the batch of this network runs sixteen rows per call where Vector512 is accelerated.</summary>
        private static bool Batches16(List<LayerPlan> layers) =>
            layers.Count == 2 && layers[0].Tables && layers[0].Inputs <= 32 && layers[0].Width > 8 && layers[0].TableStride == 16
            && layers[1].Width == 1 && !layers[1].OverOutputs && layers[1].Stride == 16;

        /// <summary>Floats of the sixteen-row kernel's buffer: row offsets per group, then the hidden rows' halves.</summary>
        private static int Batch16BufferFloats(LayerPlan first) => (first.Groups * 16) + (2 * 16 * 8);

        /// <summary>
        /// The driver's loop over blocks of sixteen rows (before the eight-row loop), when <see cref="Batches16"/> holds:
        /// packed rows are read in place, sbyte rows packed first.
        /// </summary>
        private static void EmitBatch16Loop(IndentedWriter w, List<LayerPlan> layers, bool packed)
        {
            if (!Batches16(layers))
            {
                return;
            }

            using (w.Block($"if (path != GB::ComputePath.Vector256 && {V512}.IsHardwareAccelerated)"))
            {
                w.Line($"// Sixteen rows per kernel call.");
                w.Line($"Sys::Span<float> buffer16 = stackalloc float[{Batch16BufferFloats(layers[0])}];");
                w.Line("ref float c0 = ref Interop::MemoryMarshal.GetReference(buffer16);");
                if (packed)
                {
                    using (w.Block("for (; r + 16 <= rows; r += 16)"))
                    {
                        w.Line($"BatchRows16(ref {Unsafe}.Add(ref first, 2 * r), ref {Unsafe}.Add(ref last, r), ref c0);");
                    }
                }
                else
                {
                    w.Line($"Sys::Span<ulong> masks16 = stackalloc ulong[{2 * SbyteChunkRows}];");
                    w.Line("ref ulong n0 = ref Interop::MemoryMarshal.GetReference(masks16);");
                    EmitSbyteChunks(w, layers[0].Inputs, 16, "n0", b => $"BatchRows16(ref {Unsafe}.Add(ref n0, 2 * {b}), ref {Unsafe}.Add(ref last, r + {b}), ref c0);");
                }
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
        private static void EmitSbyteChunks(IndentedWriter w, int inputs, int perCall, string masks, System.Func<string, string> call)
        {
            int spare = SpareRows(inputs);
            using (w.Block($"for (; r + {perCall + spare} <= rows; )"))
            {
                w.Line($"int chunk = Sys::Math.Min({SbyteChunkRows}, (rows - {spare} - r) / {perCall} * {perCall});");
                EmitPackValidRows(w, inputs, "chunk", masks);
                using (w.Block($"for (int b = 0; b < chunk; b += {perCall})"))
                {
                    w.Line(call("b"));
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
            if (!Batches16(layers))
            {
                return;
            }

            LayerPlan first = layers[0], output = layers[1];
            int groupFloats = ShapeRules.GroupRows * 16, present = System.Math.Min(first.Groups, ShapeRules.PartialSums);
            int[] base3 = Enumerable.Range(0, 32).Select(b => Enumerable.Range(0, 5).Sum(i => ((b >> i) & 1) * (int)System.Math.Pow(3, i))).ToArray();
            int halves = first.Groups * 16, uppers = halves + (16 * 8);
            w.Line();
            w.Line("// Sixteen rows: masks holds each row's positive then negative mask, output receives their 16 outputs, buffer");
            w.Line($"// holds {Batch16BufferFloats(first)} floats of scratch. Requires Vector512 (AVX-512F). Same bits as Forward for every row.");
            using (w.MemberBlock("private void BatchRows16(ref ulong masks, ref float output, ref float buffer)"))
            {
                w.Line("ref float t = ref _tables.Origin;");
                w.Line($"ref int offsets = ref {Unsafe}.As<float, int>(ref buffer); // group g's row offset of row r at g * 16 + r");
                w.Line($"GBC::FirstLayerTables.GatherLanes16(ref masks, out {V512}<int> positive, out {V512}<int> negative);");
                w.Line("// Five mask bits → their base-3 value times the row stride (positive) or twice that (negative): 32 entries each.");
                w.Line($"{V512}<int> plusLow = {Ints(base3.Take(16).Select(b => b * 16))}, plusHigh = {Ints(base3.Skip(16).Select(b => b * 16))};");
                w.Line($"{V512}<int> minusLow = {Ints(base3.Take(16).Select(b => b * 32))}, minusHigh = {Ints(base3.Skip(16).Select(b => b * 32))};");
                w.Line($"{V512}<int> five = {V512}.Create(31);");
                for (int g = 0; g < first.Groups; g++)
                {
                    int shift = g * ShapeRules.GroupSize;
                    string p = shift == 0 ? "positive & five" : $"{V512}.ShiftRightLogical(positive, {shift}) & five";
                    string n = shift == 0 ? "negative & five" : $"{V512}.ShiftRightLogical(negative, {shift}) & five";
                    string offset = g == 0 ? "" : $" + {V512}.Create({g * groupFloats})";
                    w.Line($"{V512}.StoreUnsafe({Avx512}.PermuteVar16x32x2(plusLow, {p}, plusHigh) + {Avx512}.PermuteVar16x32x2(minusLow, {n}, minusHigh){offset}, ref offsets, {g * 16}); // group {g}");
                }

                w.Line();
                w.Line($"// Layer 0: {first.Describe}, row by row from the tables, each row's neurons in one Vector512; the halves of");
                w.Line($"// the activations stored apart (neurons 0-7 of rows r, r + 1 side by side at {halves} + 8r, neurons 8-15 at {uppers} + 8r).");
                w.Line("ref int o = ref offsets; // row r's offsets");
                w.Line($"ref float half = ref {Unsafe}.Add(ref buffer, {halves}); // row r's neurons 0-7, its neurons 8-15 at + {uppers - halves}");
                using (w.Block("for (int r = 0; r < 16; r++)"))
                {
                    for (int g = 0; g < first.Groups; g++)
                    {
                        w.Line($"{V512}<float> s{g} = {V512}.LoadUnsafe(ref t, (nuint)(uint){(g == 0 ? "o" : $"{Unsafe}.Add(ref o, {g * 16})")});");
                    }

                    w.Line($"{V512}<float> y = GB::ActivationMath.Apply(GB::Activation.{first.Activation}, {TreeOfPresent(present, q => "s" + q)});");
                    w.Line($"{V256}.StoreUnsafe({V512}.GetLower(y), ref half);");
                    w.Line($"{V256}.StoreUnsafe({V512}.GetUpper(y), ref half, {uppers - halves});");
                    w.Line($"o = ref {Unsafe}.Add(ref o, 1);");
                    w.Line($"half = ref {Unsafe}.Add(ref half, 8);");
                }

                w.Line();
                w.Line($"// Layer 1: {output.Describe}, two rows per vector: lane l of a row chains inputs l and l + 8 (the canonical");
                w.Line("// partial sums), then the fixed tree for the sixteen rows at once: (p0+p4, …, p3+p7), the two quarters, their sum.");
                w.Line($"ref float p = ref {Unsafe}.Add(ref Interop::MemoryMarshal.GetArrayDataReference(_packed), {output.Name}Packed);");
                w.Line($"{V512}<float> lower = {V512}.Create({V256}.LoadUnsafe(ref p, 0)), upper = {V512}.Create({V256}.LoadUnsafe(ref p, 8));");
                for (int q = 0; q < 8; q++)
                {
                    w.Line($"{V512}<float> p{q} = {V512}.FusedMultiplyAdd({V512}.LoadUnsafe(ref buffer, {uppers + (16 * q)}), upper, " +
                        $"{V512}.FusedMultiplyAdd({V512}.LoadUnsafe(ref buffer, {halves + (16 * q)}), lower, {V512}<float>.Zero)); // rows {2 * q}, {(2 * q) + 1}");
                }

                for (int q = 0; q < 4; q++)
                {
                    w.Line($"{V512}<float> h{q} = {Avx512}.Shuffle4x128(p{2 * q}, p{(2 * q) + 1}, 0x88) + {Avx512}.Shuffle4x128(p{2 * q}, p{(2 * q) + 1}, 0xDD); // rows {4 * q}-{(4 * q) + 3}");
                }

                w.Line($"{V512}<float> k0 = {Avx512}.Shuffle(h0, h1, 0x44) + {Avx512}.Shuffle(h0, h1, 0xEE), k1 = {Avx512}.Shuffle(h2, h3, 0x44) + {Avx512}.Shuffle(h2, h3, 0xEE);");
                w.Line($"{V512}<float> sum = {Avx512}.Shuffle(k0, k1, 0x88) + {Avx512}.Shuffle(k0, k1, 0xDD); // rows c, c + 4, c + 8, c + 12 in block c");
                w.Line($"{V512}<float> pre = {Avx512}.PermuteVar16x32(sum, {Ints(Enumerable.Range(0, 16).Select(r => (4 * (r % 4)) + (r / 4)))}) + {V512}.Create({Unsafe}.Add(ref p, 16));");
                w.Line($"{V512}.StoreUnsafe(GB::ActivationMath.Apply(GB::Activation.{output.Activation}, pre), ref output);");
            }
        }
    }
}
