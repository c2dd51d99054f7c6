// This file is compiled into both the runtime (GenBias) and the source generator (GenBias.Generators, as a
// linked file), so the limits, the parameter layout and the packed layout have one definition. It must stay
// valid C# for netstandard2.0: integers only, no spans, no runtime types.
namespace GenBias.CompilerServices
{
    /// <summary>
    /// The limits of a network spec and the arithmetic of its parameter layouts, shared by the runtime and the
    /// source generator.
    /// </summary>
    /// <remarks>
    /// <para><b>Canonical layout</b> (the public parameter buffer, documented in README.md): layer after layer,
    /// first the weights row by row — the weight from input <c>i</c> to neuron <c>k</c> is at
    /// <c>WeightOffset + k * InputCount + i</c> (PyTorch's <c>Linear.weight</c> order, <c>[out, in]</c>) — then the
    /// <c>Width</c> biases.</para>
    /// <para><b>Packed layout</b> (private to the generated code): a layer that is vectorised over its outputs
    /// (<see cref="VectoriseOverOutputs"/>) stores one column per input, each padded with zeros to
    /// <see cref="PaddedWidth"/>, then the padded biases; a narrow layer stores its rows padded with zeros to
    /// <see cref="DotStride"/>, then its biases padded to a multiple of 8. Every layer starts on a 64-byte
    /// boundary.</para>
    /// </remarks>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public static class ShapeRules
    {
        /// <summary>The largest number of ternary inputs a network may declare.</summary>
        public const int MaxInputs = 1024;

        /// <summary>The largest number of neurons in one layer.</summary>
        public const int MaxWidth = 256;

        /// <summary>The largest number of dense layers (hidden and output).</summary>
        public const int MaxLayers = 8;

        /// <summary>The number of inputs up to which the packed two-mask input form is available.</summary>
        public const int MaxPackedInputs = 64;

        /// <summary>
        /// The ulongs of one packed row of <paramref name="inputs"/> inputs: for each block of 64 inputs (the last may be
        /// shorter) its positive mask, then its negative mask; two words up to 64 inputs.
        /// </summary>
        public static int PackedWordsPerRow(int inputs) => 2 * ((inputs + 63) >> 6);

        /// <summary>Floats per SIMD block the packed layout pads to (one Vector512, two Vector256).</summary>
        public const int BlockFloats = 16;

        /// <summary>The number of interleaved partial sums of the canonical dot product.</summary>
        public const int PartialSums = 8;

        /// <summary>A layer width rounded up to a whole number of 16-float blocks.</summary>
        public static int PaddedWidth(int width) => (width + BlockFloats - 1) / BlockFloats * BlockFloats;

        /// <summary>A row length rounded up to a whole number of 8-float blocks (the canonical dot product's lanes).</summary>
        public static int DotStride(int inputs) => PaddedToOctets(inputs);

        /// <summary>A count rounded up to whole groups of eight (one Vector256 of floats or ints): the padding of every eight-lane buffer.</summary>
        public static int PaddedToOctets(int count) => (count + PartialSums - 1) / PartialSums * PartialSums;

        /// <summary>
        /// Whether a layer of this width is computed with its outputs in SIMD lanes (8 or more neurons) rather than
        /// one dot product per neuron with the inputs in SIMD lanes. Both give the same bits; this only picks the
        /// faster arrangement.
        /// </summary>
        public static bool VectoriseOverOutputs(int width) => width >= PartialSums;

        /// <summary>Inputs per group of the first layer's canonical order (3^5 = 243 combinations per group).</summary>
        public const int GroupSize = 5;

        /// <summary>Rows of one group's table: every combination of <see cref="GroupSize"/> ternary inputs.</summary>
        public const int GroupRows = 243;

        /// <summary>The largest size, in floats, of the first-layer tables a generated network keeps (2 MiB).</summary>
        public const int MaxTableFloats = 512 * 1024;

        /// <summary>The number of input groups of the first layer: the last group may hold fewer than five inputs.</summary>
        public static int Groups(int inputs) => (inputs + GroupSize - 1) / GroupSize;

        /// <summary>
        /// Floats per row of a first-layer table: the padded width for layers vectorised over their outputs, 8 for
        /// other layers of 2 to 7 neurons (one Vector256), 1 for a single neuron.
        /// </summary>
        public static int TableStride(int width) => VectoriseOverOutputs(width) ? PaddedWidth(width) : width == 1 ? 1 : PartialSums;

        /// <summary>Floats of all first-layer tables (0 when the layer is computed without tables).</summary>
        public static int TableFloats(int inputs, int width) =>
            UsesTables(inputs, width) ? Groups(inputs) * GroupRows * TableStride(width) : 0;

        /// <summary>
        /// Whether the generated code computes the first layer from tables of group sums: the input must fit the packed
        /// form (at most 64 inputs) and the tables <see cref="MaxTableFloats"/>. Otherwise it computes the same group sums
        /// directly, in the same order, so the bits are the same either way.
        /// </summary>
        public static bool UsesTables(int inputs, int width) =>
            inputs <= MaxPackedInputs && (long)Groups(inputs) * GroupRows * TableStride(width) <= MaxTableFloats;

        /// <summary>
        /// Whether batches gather the first layer's group sums for eight rows at once (from a keyed copy of the tables,
        /// <c>FirstLayerTables.GatherGroup</c>): one neuron, tables, and at most 32 inputs, so that a row's masks fit a lane.
        /// </summary>
        public static bool GathersFirstLayer(int inputs, int width) => width == 1 && inputs <= 32 && UsesTables(inputs, width);

        /// <summary>
        /// Whether batches compute the first layer from its weight columns (<c>WideFirstLayer</c>), where the parameters
        /// are on the fixed-point grid: more inputs than the packed form and tables hold, and 32 to 1024 neurons. With
        /// Vector512, register tiles of four rows by 64 neurons: int16 weight pairs summed in int32 where every weight fits
        /// 16 bits (<c>TileShortPreActivations</c>, <see cref="ShortPairTableInts"/>), float multiply-adds otherwise
        /// (<c>TilePreActivations</c>); with Vector256, the columns of each row's set bits added from packed masks
        /// (<c>PreActivations</c>). Narrower layers are faster with the
        /// rows in lanes and broadcast weights (<see cref="DotsFirstLayer"/>); sixteen rows' sums stay on the stack up to
        /// 1024 neurons.
        /// </summary>
        public static bool AddsFirstLayerColumns(int inputs, int width) =>
            inputs > MaxPackedInputs && width >= 32 && width <= 1024;

        /// <summary>
        /// Whether batches compute the first layer, where its parameters are on the fixed-point grid, by multiply-adds
        /// with 16 rows transposed into the lanes and the weights broadcast, Vector512: int16 pairs of inputs summed in
        /// int32 where every weight fits 16 bits (<c>WideFirstLayer.DotShortPreActivations</c>), float multiply-adds
        /// otherwise (<c>WideFirstLayer.DotPreActivations</c>). More inputs than the packed form and tables hold, and 8
        /// to 31 neurons (too few to fill the 64-neuron tiles of <see cref="AddsFirstLayerColumns"/>).
        /// </summary>
        public static bool DotsFirstLayer(int inputs, int width) =>
            inputs > MaxPackedInputs && width >= PartialSums && !AddsFirstLayerColumns(inputs, width);

        /// <summary>
        /// Floats of a first layer's pair table (<c>WideFirstLayer.BuildPairs</c>): four padded columns per pair of
        /// inputs (a, b, a + b, a − b), then the padded biases.
        /// </summary>
        public static int PairTableFloats(int inputs, int width) => ((4 * ((inputs + 1) / 2)) + 1) * PaddedWidth(width);

        /// <summary>
        /// Int32 slots of a first layer's int16 pair table (<c>WideFirstLayer.BuildShortPairs</c>): per pair of inputs a
        /// padded row of int32s, each neuron's two weights in grid steps as int16s, then the padded biases' float bits.
        /// Half the layer's columns in bytes.
        /// </summary>
        public static int ShortPairTableInts(int inputs, int width) => (((inputs + 1) / 2) + 1) * PaddedWidth(width);

        /// <summary>
        /// Whether one row's first layer (Forward) is computed, on the fixed-point grid and Vector512, from a pair table
        /// (<c>WideFirstLayer.RowPairPreActivations</c>, one column per nonzero pair of inputs) rather than from the
        /// columns of single inputs: where batches add columns (<see cref="AddsFirstLayerColumns"/>), the triple table
        /// does not fit (<see cref="TriplesFirstLayer"/>) and the pair table, twice the layer's size, fits <see cref="MaxTableFloats"/>.
        /// </summary>
        public static bool PairsFirstLayer(int inputs, int width) =>
            AddsFirstLayerColumns(inputs, width) && !TriplesFirstLayer(inputs, width) && PairTableFloats(inputs, width) <= MaxTableFloats;

        /// <summary>
        /// Floats of a first layer's triple table (<c>WideFirstLayer.BuildTriples</c>): 13 padded columns per three
        /// inputs (every nonzero signed combination of the three up to its sign), then the padded biases.
        /// </summary>
        public static int TripleTableFloats(int inputs, int width) => ((13 * ((inputs + 2) / 3)) + 1) * PaddedWidth(width);

        /// <summary>
        /// The largest triple table a generated network keeps, in floats (1 MiB, a core's second-level cache on today's
        /// CPUs): one row reads a column per nonzero triple scattered over the table, so the table pays only where it
        /// stays in that cache; larger layers use the pair table, half the size.
        /// </summary>
        public const int MaxTripleTableFloats = 256 * 1024;

        /// <summary>
        /// Whether one row's first layer (Forward) is computed, on the fixed-point grid and Vector512, from a triple table
        /// (<c>WideFirstLayer.RowTriplePreActivations</c>, one column per nonzero triple of inputs): where batches add
        /// columns (<see cref="AddsFirstLayerColumns"/>) and the table, 13/3 times the layer's size, fits
        /// <see cref="MaxTripleTableFloats"/>. Otherwise the pair table (<see cref="PairsFirstLayer"/>).
        /// </summary>
        public static bool TriplesFirstLayer(int inputs, int width) =>
            AddsFirstLayerColumns(inputs, width) && TripleTableFloats(inputs, width) <= MaxTripleTableFloats;

        /// <summary>Parameters of one layer in the canonical layout: weights then biases.</summary>
        public static int LayerParameterCount(int inputs, int width) => inputs * width + width;

        /// <summary>Floats of one layer in the packed layout (a multiple of <see cref="BlockFloats"/>).</summary>
        public static int PackedLayerSize(int inputs, int width)
        {
            int size = VectoriseOverOutputs(width)
                ? (inputs + 1) * PaddedWidth(width)
                : width * DotStride(inputs) + DotStride(width);
            return (size + BlockFloats - 1) / BlockFloats * BlockFloats;
        }
    }
}
