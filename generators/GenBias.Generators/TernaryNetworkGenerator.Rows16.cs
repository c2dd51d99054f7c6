using System.Collections.Generic;
using System.Linq;
using GenBias.Generators.Helpers;

namespace GenBias.Generators
{
    // Sixteen rows per kernel call on Vector512 for a table-driven first layer of more than 8 neurons followed by later
    // layers (25 → 32 → 16 → 8 → 1, 64 → 33 → 1), when the sixteen-row kernels of Batch16 do not take the network:
    // - the rows' table offsets derived in lanes (masks of 16 rows in two or four vectors, two permutes per group);
    // - layer 0 row by row from the tables; a last one to four neurons beyond the full vectors of 16 are summed as
    //   scalars and activated sixteen rows at once;
    // - a layer 1 of 8 or more neurons: layer 0's activations transposed into lanes (RowsInLanes.Transpose16), then
    //   layer 1 and every later layer with the rows in lanes, in tiles of four neurons: input j of the 16 rows (one vector,
    //   loaded once per tile) times each neuron's broadcast weight feeds its partial sum j % 8, the fixed tree lane by lane;
    // - a narrower layer 1: layer 0's activations stored by chunks of eight, two rows side by side (pair q: chunk c of row
    //   2q in lanes 0-7, of row 2q + 1 in lanes 8-15); per neuron and pair of rows, lane l chains the inputs l, l + 8, …
    //   (one multiply-add per chunk for both rows), then CanonicalSum.TreeOfRowPairs puts the 16 rows' trees in lanes.
    // Every lane computes what Forward computes for its row: the bits of Forward.
    public sealed partial class TernaryNetworkGenerator
    {
        /// <summary>Neurons of layer 0 beyond its full vectors of 16 that the kernel sums as scalars (more: one padded vector).</summary>
        private const int ScalarTail16 = 4;

        /// <summary>
        /// Whether the batch runs the sixteen-row kernel of this file where Vector512 is accelerated: a table-driven first
        /// layer of more than 8 neurons (16 per table row vector), later layers, and no Batch16 kernel.
        /// </summary>
        private static bool Rows16(List<LayerPlan> layers) =>
            layers.Count >= 2 && !Batches16(layers) && layers[0].Tables && Lanes16(layers[0])
            && Rows16BufferSize(layers) <= 8 * 1024;

        /// <summary>Full vectors of 16 neurons of layer 0 the kernel stores from the tables (a padded last one when the tail is long).</summary>
        private static int Blocks16(LayerPlan first) =>
            first.Width % 16 <= ScalarTail16 ? first.Width / 16 : (first.Width + 15) / 16;

        /// <summary>Neurons of layer 0 summed as scalars (after <see cref="Blocks16"/> vectors).</summary>
        private static int Tail16(LayerPlan first) => first.Width - System.Math.Min(first.Width, 16 * Blocks16(first));

        /// <summary>Chunks of eight inputs of layer 1 (its weights per neuron, and the pair buffer's chunks read).</summary>
        private static int Chunks16(LayerPlan first) => (first.Width + 7) / 8;

        /// <summary>Floats of one pair of rows in the layer-0 buffer: every chunk written (stored or read), 16 floats each.</summary>
        private static int PairFloats16(LayerPlan first) => 16 * System.Math.Max(2 * Blocks16(first), Chunks16(first));

        /// <summary>Whether the kernel derives the sixteen rows' table offsets with vector permutes (masks in lanes: up to 64 inputs).</summary>
        private static bool Offsets16InLanes(LayerPlan first) => first.Inputs <= 64;

        /// <summary>
        /// Whether layer 0's activations are transposed into lanes (RowsInLanes.Transpose16, about 4 shuffles per row and 16
        /// neurons) so that layer 1 runs with the rows in lanes too: worth it for a layer 1 of 8 or more neurons, whose
        /// fixed trees by pairs of rows would cost about 15 shuffles per row and neuron.
        /// </summary>
        private static bool Transposes16(List<LayerPlan> layers) => layers[1].Width >= 8;

        /// <summary>Floats of layer 0's activations in the buffer: by pairs of rows, or sixteen per neuron once transposed.</summary>
        private static int Layer0Floats16(List<LayerPlan> layers) =>
            Transposes16(layers) ? 256 * ((layers[0].Width + 15) / 16) : 8 * PairFloats16(layers[0]);

        private static int Rows16BufferSize(List<LayerPlan> layers) =>
            Layer0Floats16(layers) + (16 * Tail16(layers[0])) + (16 * layers.Skip(1).Sum(l => l.Width))
            + (Offsets16InLanes(layers[0]) ? 16 * layers[0].Groups : 0);

        /// <summary>The base-3 value of five mask bits (bit i worth 3^i), for each of the 32 patterns: a group's table row.</summary>
        private static int[] Base3Of5Bits() =>
            Enumerable.Range(0, 32).Select(b => Enumerable.Range(0, 5).Sum(i => ((b >> i) & 1) * (int)System.Math.Pow(3, i))).ToArray();

        /// <summary>The driver's loop over blocks of sixteen rows (packed rows in place, sbyte rows packed 64 at a time).</summary>
        private static void EmitRows16Loop(IndentedWriter w, List<LayerPlan> layers, bool packed)
        {
            w.Line("// Sixteen rows per kernel call.");
            w.Line("Sys::Span<float> rows16 = stackalloc float[Rows16BufferSize];");
            w.Line("rows16.Clear(); // padding that the kernel reads must be zero, even under [SkipLocalsInit]");
            w.Line("ref float d0 = ref Interop::MemoryMarshal.GetReference(rows16);");
            if (packed)
            {
                using (w.Block("for (; r + 16 <= rows; r += 16)"))
                {
                    w.Line($"BatchRows16Vector512(ref {Unsafe}.Add(ref first, 2 * r), ref {Unsafe}.Add(ref last, r * OutputCount), ref d0);");
                }
            }
            else
            {
                EmitSbyteChunks(w, layers[0].Inputs, 16, "m0", b => $"BatchRows16Vector512(ref {Unsafe}.Add(ref m0, 2 * {b}), ref {Unsafe}.Add(ref last, (r + {b}) * OutputCount), ref d0);");
            }
        }

        private static void EmitRows16Constants(IndentedWriter w, List<LayerPlan> layers)
        {
            w.Line("// The sixteen-row kernel's buffer: layer 0 by pairs of rows, its scalar neurons' pre-activations, then every");
            w.Line("// later layer with the rows in lanes (16 floats per neuron).");
            w.Member("private const int Rows16Layer0 = 0;");
            int offset = Layer0Floats16(layers);
            w.Member($"private const int Rows16Tail = {offset};");
            offset += 16 * Tail16(layers[0]);
            foreach (LayerPlan l in layers.Skip(1))
            {
                w.Member($"private const int Rows16{l.Name} = {offset};");
                offset += 16 * l.Width;
            }

            if (Offsets16InLanes(layers[0]))
            {
                w.Member($"private const int Rows16Offsets = {offset};");
                offset += 16 * layers[0].Groups;
            }

            w.Member($"private const int Rows16BufferSize = {offset};");
        }

        private static void EmitRows16Kernel(IndentedWriter w, List<LayerPlan> layers)
        {
            LayerPlan first = layers[0], output = layers[layers.Count - 1];
            int stride = first.TableStride, groupFloats = ShapeRules.GroupRows * stride, present = System.Math.Min(first.Groups, ShapeRules.PartialSums);
            int blocks = Blocks16(first), tail = Tail16(first), pair = PairFloats16(first);
            bool transposes = Transposes16(layers);
            w.Line();
            w.Line("// Sixteen rows: masks holds each row's positive then negative mask, output receives 16 rows of outputs, buffer");
            w.Line("// holds Rows16BufferSize floats (zero padding between calls). Requires Vector512 (AVX-512F). Same bits as Forward");
            w.Line("// for every row.");
            using (w.MemberBlock("private void BatchRows16Vector512(ref ulong masks, ref float output, ref float buffer)"))
            {
                w.Line("ref float w = ref Interop::MemoryMarshal.GetArrayDataReference(_parameters);");
                w.Line("ref float t = ref _tables.Origin;");
                bool lanes = Offsets16InLanes(first);
                if (lanes)
                {
                    int[] base3 = Base3Of5Bits();
                    w.Line();
                    w.Line("// The sixteen rows' table row offsets, group g's of row r at g * 16 + r: five mask bits → their base-3 value");
                    w.Line("// times the row stride (positive) or twice that (negative), 32 entries each indexed by the low five bits of each lane;");
                    w.Line("// plus the start of the group's table.");
                    w.Line($"ref int offsets = ref {Unsafe}.As<float, int>(ref {Unsafe}.Add(ref buffer, Rows16Offsets));");
                    bool halves = first.Inputs > 32;
                    w.Line(halves
                        ? $"GBC::FirstLayerTables.GatherHalves16(ref masks, out {V512}<int> positive, out {V512}<int> positiveHigh, out {V512}<int> negative, out {V512}<int> negativeHigh);"
                        : $"GBC::FirstLayerTables.GatherLanes16(ref masks, out {V512}<int> positive, out {V512}<int> negative);");
                    w.Line($"{V512}<int> plusLow = {Ints(base3.Take(16).Select(b => b * stride))}, plusHigh = {Ints(base3.Skip(16).Select(b => b * stride))};");
                    w.Line($"{V512}<int> minusLow = {Ints(base3.Take(16).Select(b => b * 2 * stride))}, minusHigh = {Ints(base3.Skip(16).Select(b => b * 2 * stride))};");
                    for (int g = 0; g < first.Groups; g++)
                    {
                        // The group's five bits at the bottom of each lane (the permutes read no others): from the low 32 bits,
                        // the high 32, or both for a group across them.
                        int shift = g * ShapeRules.GroupSize;
                        string Bits(string mask) => shift == 0 ? mask
                            : shift + ShapeRules.GroupSize <= 32 || !halves ? $"{V512}.ShiftRightLogical({mask}, {shift})"
                            : shift == 32 ? $"{mask}High"
                            : shift > 32 ? $"{V512}.ShiftRightLogical({mask}High, {shift - 32})"
                            : $"({V512}.ShiftRightLogical({mask}, {shift}) | {V512}.ShiftLeft({mask}High, {32 - shift}))";
                        string start = g == 0 ? "" : $" + {V512}.Create({g * groupFloats})";
                        w.Line($"{V512}.StoreUnsafe({Avx512}.PermuteVar16x32x2(plusLow, {Bits("positive")}, plusHigh) + {Avx512}.PermuteVar16x32x2(minusLow, {Bits("negative")}, minusHigh){start}, ref offsets, {g * 16}); // group {g}");
                    }
                }
                else
                {
                    w.Line("ref int keys = ref _tables.KeyOrigin; // ten mask bits → the offset of the group's row");
                }

                w.Line();
                w.Line(transposes
                    ? $"// Layer 0: {first.Describe}, from the tables, row by row; row r's neurons 16 b … 16 b + 15 at 256 b + 16 r."
                    : $"// Layer 0: {first.Describe}, from the tables, row by row; row r's chunk c of eight activations at");
                if (!transposes)
                {
                    w.Line($"// (r / 2) * {pair} + c * 16 + (r % 2) * 8.");
                }

                using (w.Block("for (int r = 0; r < 16; r++)"))
                {
                    if (!lanes)
                    {
                        w.Line($"ulong positive = {Unsafe}.Add(ref masks, 2 * r), negative = {Unsafe}.Add(ref masks, (2 * r) + 1);");
                    }

                    for (int g = 0; g < first.Groups; g++)
                    {
                        string offset = g == 0 ? "" : $"{g * groupFloats} + ";
                        w.Line(lanes
                            ? $"nuint r{g} = (nuint)(uint){Unsafe}.Add(ref offsets, {g * 16} + r); // group {g}"
                            : $"nuint r{g} = {offset}(nuint){Unsafe}.Add(ref keys, GBC::FirstLayerTables.Key(positive, negative, {g * ShapeRules.GroupSize})); // group {g}");
                    }

                    w.Line(transposes
                        ? $"ref float y = ref {Unsafe}.Add(ref buffer, Rows16Layer0 + (16 * r));"
                        : $"ref float y = ref {Unsafe}.Add(ref buffer, ((r >> 1) * {pair}) + ((r & 1) * 8));");
                    for (int b = 0; b < blocks; b++)
                    {
                        int lo = b * 16, hi = System.Math.Min(lo + 16, first.Width) - 1;
                        w.Line(lo == hi ? $"// Neuron {lo}" : $"// Neurons {lo}-{hi}");
                        using (w.Block())
                        {
                            for (int g = 0; g < first.Groups; g++)
                            {
                                string load = $"{V512}.LoadUnsafe(ref t, r{g}{(lo == 0 ? "" : " + " + lo)})";
                                w.Line(g < ShapeRules.PartialSums ? $"{V512}<float> s{g} = {load};" : $"s{g % 8} += {load};");
                            }

                            w.Line($"{V512}<float> y{b} = GB::ActivationMath.Apply(GB::Activation.{first.Activation}, {TreeOfPresent(present, p => "s" + p)});");
                            if (transposes)
                            {
                                w.Line($"{V512}.StoreUnsafe(y{b}, ref y, {256 * b});");
                            }
                            else
                            {
                                w.Line($"{V256}.StoreUnsafe({V512}.GetLower(y{b}), ref y, {32 * b});");
                                w.Line($"{V256}.StoreUnsafe({V512}.GetUpper(y{b}), ref y, {(32 * b) + 16});");
                            }
                        }
                    }

                    for (int i = 0; i < tail; i++)
                    {
                        int k = (16 * blocks) + i;
                        w.Line($"// Neuron {k}: its pre-activation, activated below with the other rows'.");
                        using (w.Block())
                        {
                            for (int g = 0; g < first.Groups; g++)
                            {
                                string load = $"{Unsafe}.Add(ref t, r{g} + {k})";
                                w.Line(g < ShapeRules.PartialSums ? $"float s{g} = {load};" : $"s{g % 8} += {load};");
                            }

                            w.Line($"{Unsafe}.Add(ref buffer, Rows16Tail + {16 * i} + r) = {TreeOfPresent(present, p => "s" + p)};");
                        }
                    }
                }

                for (int b = 0; b < (transposes ? blocks : 0); b++)
                {
                    w.Line($"GBC::RowsInLanes.Transpose16(ref {Unsafe}.Add(ref buffer, Rows16Layer0 + {256 * b})); // neurons {16 * b}-{(16 * b) + 15}: 16 per row → 16 rows per neuron");
                }

                for (int i = 0; i < tail && transposes; i++)
                {
                    int k = (16 * blocks) + i;
                    w.Line($"// Neuron {k} of the sixteen rows: one activation, its rows in lanes already.");
                    w.Line($"{V512}.StoreUnsafe(GB::ActivationMath.Apply(GB::Activation.{first.Activation}, {V512}.LoadUnsafe(ref buffer, Rows16Tail + {16 * i})), ref buffer, Rows16Layer0 + {16 * k});");
                }

                for (int i = 0; i < tail && !transposes; i++)
                {
                    int k = (16 * blocks) + i;
                    w.Line($"// Neuron {k} of the sixteen rows: one activation, then into the rows' chunk {k / 8}.");
                    using (w.Block())
                    {
                        w.Line($"ref float tail = ref {Unsafe}.Add(ref buffer, Rows16Tail + {16 * i});");
                        w.Line($"{V512}.StoreUnsafe(GB::ActivationMath.Apply(GB::Activation.{first.Activation}, {V512}.LoadUnsafe(ref tail)), ref tail);");
                        using (w.Block("for (int r = 0; r < 16; r++)"))
                        {
                            w.Line($"{Unsafe}.Add(ref buffer, ((r >> 1) * {pair}) + ((r & 1) * 8) + {((k / 8) * 16) + (k % 8)}) = {Unsafe}.Add(ref tail, r);");
                        }
                    }
                }

                foreach (LayerPlan l in layers.Skip(1))
                {
                    w.Line();
                    if (l.Index == 1 && !transposes)
                    {
                        EmitRows16PairLayer(w, l, first, l == output);
                    }
                    else
                    {
                        EmitRows16LanesLayer(w, l, layers[l.Index - 1], l == output);
                    }
                }

                if (output.Width > 1)
                {
                    w.Line("// The outputs, row by row.");
                    using (w.Block("for (int r = 0; r < 16; r++)"))
                    {
                        using (w.Block("for (int k = 0; k < OutputCount; k++)"))
                        {
                            w.Line($"{Unsafe}.Add(ref output, (r * OutputCount) + k) = {Unsafe}.Add(ref buffer, Rows16{output.Name} + (k * 16) + r);");
                        }
                    }
                }
            }
        }

        /// <summary>Where neuron k's sixteen activations go: the output (a last layer of one neuron) or the layer's lanes.</summary>
        private static string Rows16Store(LayerPlan l, bool last) =>
            last && l.Width == 1 ? "ref output" : $"ref {Unsafe}.Add(ref buffer, Rows16{l.Name} + (k * 16))";

        private static void EmitRows16PairLayer(IndentedWriter w, LayerPlan l, LayerPlan first, bool last)
        {
            int chunks = Chunks16(first), pair = PairFloats16(first);
            w.Line($"// Layer 1: {l.Describe}, neuron by neuron: its weights by chunks of eight, twice per vector (one chunk");
            w.Line("// for both rows of a pair); lane l of a pair chains inputs l, l + 8, … (the canonical partial sums); then the fixed");
            w.Line("// tree of the sixteen rows at once puts row r in lane r.");
            using (w.Block($"for (int k = 0; k < {l.Width}; k++)"))
            {
                w.Line($"ref float wk = ref {Unsafe}.Add(ref w, {l.Name}WeightOffset + (k * {l.Inputs}));");
                for (int c = 0; c < chunks; c += 2)
                {
                    if (8 * (c + 2) <= l.Inputs)
                    {
                        // Chunks c and c + 1 in one load, each put in both halves.
                        w.Line($"{V512}<float> c{c}{c + 1} = {V512}.LoadUnsafe(ref wk, {8 * c});");
                        w.Line($"{V512}<float> c{c} = {Avx512}.Shuffle4x128(c{c}{c + 1}, c{c}{c + 1}, 0x44), c{c + 1} = {Avx512}.Shuffle4x128(c{c}{c + 1}, c{c}{c + 1}, 0xEE);");
                        continue;
                    }

                    for (int d = c; d < System.Math.Min(c + 2, chunks); d++)
                    {
                        int count = System.Math.Min(8, l.Inputs - (8 * d));
                        string chunk = count == 8
                            ? $"{V256}.LoadUnsafe(ref wk, {8 * d})"
                            : $"{V256}.Create({string.Join(", ", Enumerable.Range(0, 8).Select(i => i < count ? $"{Unsafe}.Add(ref wk, {(8 * d) + i})" : "0f"))})";
                        w.Line($"{V512}<float> c{d} = {V512}.Create({chunk});{(count == 8 ? "" : " // zero beyond the last input")}");
                    }
                }

                for (int q = 0; q < 8; q++)
                {
                    w.Line($"ref float a{q} = ref {Unsafe}.Add(ref buffer, {q * pair}); // rows {2 * q}, {(2 * q) + 1}");
                    for (int c = 0; c < chunks; c++)
                    {
                        string sum = c == 0 ? $"{V512}<float>.Zero" : $"q{q}";
                        w.Line($"{(c == 0 ? $"{V512}<float> " : "")}q{q} = {V512}.FusedMultiplyAdd({V512}.LoadUnsafe(ref a{q}, {16 * c}), c{c}, {sum});");
                    }
                }

                w.Line($"{V512}<float> pre = GBC::CanonicalSum.TreeOfRowPairs(q0, q1, q2, q3, q4, q5, q6, q7) + {V512}.Create({Unsafe}.Add(ref w, {l.Name}BiasOffset + k));");
                w.Line($"{V512}.StoreUnsafe(GB::ActivationMath.Apply(GB::Activation.{l.Activation}, pre), {Rows16Store(l, last)});");
            }
        }

        /// <summary>Neurons per tile of a layer with the rows in lanes: each input vector is loaded once for all of them.</summary>
        private const int LanesTile16 = 4;

        private static void EmitRows16LanesLayer(IndentedWriter w, LayerPlan l, LayerPlan previous, bool last)
        {
            int tile = System.Math.Min(LanesTile16, l.Width), whole = l.Width / tile * tile;
            w.Line($"// Layer {l.Index}: {l.Describe}, the rows in lanes, {tile} neuron{(tile == 1 ? "" : "s")} per tile: input j of the sixteen rows (one");
            w.Line("// vector, loaded once per tile) times each neuron's broadcast weight feeds its partial sum j % 8; the partial sums are");
            w.Line("// added in the fixed tree of CanonicalSum.Tree as they complete (p0 + p4, p2 + p6, …), then the bias.");
            using (w.Block())
            {
                w.Line($"ref float a = ref {Unsafe}.Add(ref buffer, Rows16{previous.Name});");
                EmitRows16Tiles(w, l, tile, whole, last);
            }
        }

        private static void EmitRows16Tiles(IndentedWriter w, LayerPlan l, int tile, int whole, bool last)
        {
            if (whole > 0)
            {
                using (whole == tile ? w.Block() : w.Block($"for (int k = 0; k < {whole}; k += {tile})"))
                {
                    if (whole == tile)
                    {
                        w.Line("const int k = 0;");
                    }

                    EmitRows16Tile(w, l, tile, "k", last);
                }
            }

            if (whole < l.Width)
            {
                using (w.Block())
                {
                    w.Line($"const int k = {whole};");
                    EmitRows16Tile(w, l, l.Width - whole, "k", last);
                }
            }
        }

        /// <summary>Neurons <paramref name="k"/> … + <paramref name="tile"/> - 1 of layer l for the sixteen rows in lanes.</summary>
        private static void EmitRows16Tile(IndentedWriter w, LayerPlan l, int tile, string k, bool last)
        {
            for (int t = 0; t < tile; t++)
            {
                w.Line($"ref float w{t} = ref {Unsafe}.Add(ref w, {l.Name}WeightOffset + (({k} + {t}) * {l.Inputs}));");
            }

            w.Line($"{V512}<float> x;");
            // The partial sums in the tree's order: p0, p4 → (p0 + p4); p2, p6 → (p2 + p6); their sum; the same for 1, 5, 3, 7.
            string Partial(int t, int p) => p < l.Inputs ? $"p{p}n{t}" : $"{V512}<float>.Zero";
            void Chains(int p)
            {
                for (int j = p; j < l.Inputs; j += ShapeRules.PartialSums)
                {
                    w.Line($"x = {V512}.LoadUnsafe(ref a, {16 * j}); // input {j}");
                    for (int t = 0; t < tile; t++)
                    {
                        string start = j < ShapeRules.PartialSums ? $"{V512}<float> " : "";
                        string sum = j < ShapeRules.PartialSums ? $"{V512}<float>.Zero" : $"p{p}n{t}";
                        w.Line($"{start}p{p}n{t} = {V512}.FusedMultiplyAdd(x, {V512}.Create({Unsafe}.Add(ref w{t}, {j})), {sum});");
                    }
                }
            }

            void Pair(int a, int b, string name)
            {
                Chains(a);
                Chains(b);
                for (int t = 0; t < tile; t++)
                {
                    w.Line($"{V512}<float> {name}n{t} = {Partial(t, a)} + {Partial(t, b)};");
                }
            }

            Pair(0, 4, "q04");
            Pair(2, 6, "q26");
            Pair(1, 5, "q15");
            Pair(3, 7, "q37");
            for (int t = 0; t < tile; t++)
            {
                w.Line($"{V512}<float> pre{t} = ((q04n{t} + q26n{t}) + (q15n{t} + q37n{t})) + {V512}.Create({Unsafe}.Add(ref w, {l.Name}BiasOffset + {k} + {t}));");
                string store = last && l.Width == 1 ? "ref output" : $"ref {Unsafe}.Add(ref buffer, Rows16{l.Name} + (({k} + {t}) * 16))";
                w.Line($"{V512}.StoreUnsafe(GB::ActivationMath.Apply(GB::Activation.{l.Activation}, pre{t}), {store});");
            }
        }
    }
}
