using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using GenBias.CompilerServices;

namespace GenBias.Benchmarks;

/// <summary>
/// Interleaved rounds in one process: every contender runs once per round, in a rotating order, for about the same
/// wall time; the median of its per-item times over the rounds is reported with the ratio to its peer. The shared,
/// noisy machines this project runs on make separate runs incomparable; this is the comparison the README cites.
/// Run: dotnet run -c Release --project tests/GenBias.Benchmarks -- --side-by-side [rounds] [--training | --single | --batch | --wide | --leaf | --kernels] [--cpu-time]
/// </summary>
internal static class SideBySide
{
    private sealed record Contender(string Group, string Name, Func<long> Run, string? Peer = null);

    /// <summary>Second ratios printed after the table: a contender against another than its peer (name, baseline).</summary>
    private static readonly List<(string Name, string Baseline)> SecondRatios = [];

    public static void Run(int rounds)
    {
        var contenders = new List<Contender>();
        var disposables = new List<IDisposable>();
        AddForward(contenders, disposables, new Hidden25x16x1(), "25-16-1");
        AddForward(contenders, disposables, new Neuron25(), "25-1");
        AddForward(contenders, disposables, new Wide64x33x1(), "64-33-1");
        AddForward(contenders, disposables, new Long100x8x1(), "100-8-1");
        AddForward(contenders, disposables, new Image784x64x1(), "784-64-1");
        AddForward(contenders, disposables, new Deep25x32x16x8x1(), "25-32-16-8-1");
        string[] arguments = Environment.GetCommandLineArgs();
        if (Array.IndexOf(arguments, "--kernels") >= 0)
        {
            // The 25-input kernels against ONNX Runtime and against the previous build's generated code (Baseline/).
            contenders.Clear();
            AddKernels(contenders, disposables, new Hidden25x16x1(), new PreviousHidden25x16x1(), "25-16-1");
            AddKernels(contenders, disposables, new Neuron25(), new PreviousNeuron25(), "25-1");
            // The same batch kernel without activations: the share of the tanh (a diagnostic, not a product figure).
            var linear = new Linear25x16x1();
            linear.SetParameters(BenchmarkData.Parameters(Linear25x16x1.Shape, 2));
            ulong[] rows = new ulong[2 * 4096];
            sbyte[] values = BenchmarkData.Inputs(4096, 25, 3);
            for (int r = 0; r < 4096; r++)
            {
                (rows[2 * r], rows[(2 * r) + 1]) = TernaryInput.Pack(values.AsSpan(r * 25, 25));
            }

            float[] outputs = new float[4096];
            contenders.Add(new Contender("25-16-1", "GenBias batch 25-16-1 (packed), linear activations", () => { linear.ForwardBatch(rows, outputs); return 4096; }, "GenBias batch 25-16-1 (packed)"));
        }
        else if (Array.IndexOf(arguments, "--training") >= 0)
        {
            contenders.Clear();
            AddTraining(contenders);
        }
        else if (Array.IndexOf(arguments, "--single") >= 0)
        {
            // One input at a time: Forward (span, packed) and the incremental accumulator, every shape.
            contenders.RemoveAll(c => c.Name.Contains("batch", StringComparison.Ordinal));
        }
        else if (Array.IndexOf(arguments, "--wide") >= 0)
        {
            // Beyond 25 inputs and one hidden layer: batches (packed rows where the shape has them, sbyte rows) and single
            // inputs, against ONNX Runtime's batch and single-row runs.
            contenders.Clear();
            AddWide(contenders, disposables, new Long100x8x1(), "100-8-1", new Long100x8x1());
            AddWide(contenders, disposables, new Image784x64x1(), "784-64-1", new Image784x64x1());
            AddWide(contenders, disposables, new Deep25x32x16x8x1(), "25-32-16-8-1");
            AddWide(contenders, disposables, new Wide64x33x1(), "64-33-1");
            if (Environment.GetEnvironmentVariable("GENBIAS_KERNEL_SHAPES") == "1")
            {
                AddKernelShapes(contenders);
            }
        }
        else if (Array.IndexOf(arguments, "--batch") >= 0)
        {
            // Batches only: GenBias (sbyte rows, packed rows) against ONNX Runtime, every shape.
            contenders.RemoveAll(c => !c.Name.Contains("batch", StringComparison.Ordinal));
        }
        else
        {
            if (Array.IndexOf(arguments, "--leaf") >= 0)
            {
                contenders.Clear();
                AddForward(contenders, disposables, new Hidden25x16x1(), "25-16-1");
            }

            AddLeaf(contenders, new Count12x16x1(), "12-16-1", "ONNX Runtime batch 25-16-1");
            AddSubCubeLeaf(contenders, new Hidden25x16x1(), "25-16-1", "ONNX Runtime batch 25-16-1");
            AddLeaf(contenders, new Count12x32x1(), "12-32-1", null);
            AddSubCubeLeaf(contenders, new Count25x32x1(), "25-32-1", null);
        }

        Console.WriteLine($"CPU: {Machine.Cpu()}; load average before: {Machine.LoadAverage()}");
        // Warm up: tier-up to optimised code before measuring.
        foreach (Contender c in contenders)
        {
            var warm = Stopwatch.StartNew();
            while (warm.ElapsedMilliseconds < 300)
            {
                c.Run();
            }
        }

        // --cpu-time: the thread's CPU time instead of wall time (Linux), so that time slices given to other processes on
        // a loaded machine do not count; caches shared with them still do.
        bool cpu = Array.IndexOf(arguments, "--cpu-time") >= 0 && OperatingSystem.IsLinux();
        var samples = contenders.ToDictionary(c => c.Name, _ => new List<double>());
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < contenders.Count; i++)
            {
                Contender c = contenders[(i + round) % contenders.Count];
                long items = 0;
                double start = cpu ? Machine.ThreadCpuNanoseconds() : 0;
                var clock = Stopwatch.StartNew();
                while (clock.ElapsedTicks < Stopwatch.Frequency / 20)
                {
                    items += c.Run();
                }

                double elapsed = cpu ? Machine.ThreadCpuNanoseconds() - start : clock.Elapsed.TotalNanoseconds;
                samples[c.Name].Add(elapsed / items);
            }
        }

        string clockKind = cpu ? "thread CPU time" : "wall time";
        Console.WriteLine($"load average after: {Machine.LoadAverage()}; {rounds} interleaved rounds, median ns per item ({clockKind})");
        Console.WriteLine();
        Console.WriteLine("| work | ns per item (median) | peer | ratio (median of per-round ratios) |");
        Console.WriteLine("|---|---|---|---|");
        foreach (Contender c in contenders)
        {
            double median = Median(samples[c.Name]);
            string peer = "", ratio = "";
            if (c.Peer != null)
            {
                peer = c.Peer;
                ratio = Median(samples[c.Name].Zip(samples[c.Peer], (a, b) => a / b).ToList()).ToString("0.000");
            }

            Console.WriteLine($"| {c.Name} | {median:0.00} | {peer} | {ratio} |");
        }

        foreach (Contender c in contenders.Where(c => c.Name.StartsWith("GenBias batch", StringComparison.Ordinal)))
        {
            // Against the previous build's kernel (--kernels), as a second ratio.
            string before = "previous" + c.Name["GenBias".Length..];
            if (samples.TryGetValue(before, out List<double>? previous))
            {
                double ratio = Median(samples[c.Name].Zip(previous, (a, b) => a / b).ToList());
                Console.WriteLine($"| {c.Name} | | {before} | {ratio:0.000} |");
            }
        }

        foreach ((string name, string baseline) in SecondRatios.Where(r => samples.ContainsKey(r.Name) && samples.ContainsKey(r.Baseline)))
        {
            double ratio = Median(samples[name].Zip(samples[baseline], (a, b) => a / b).ToList());
            Console.WriteLine($"| {name} | | {baseline} | {ratio:0.000} |");
        }

        foreach (IDisposable d in disposables)
        {
            d.Dispose();
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>
    /// The counting leaf: every one of the 3^12 inputs of a network with the majority problem's hidden width, enumerated without
    /// pruning on one thread (the per-input cost of the leaf does not depend on the input count).
    /// </summary>
    private static void AddLeaf(List<Contender> list, ITernaryNetwork network, string tag, string? peer)
    {
        network.SetParameters(BenchmarkData.Parameters(network.Shape, 4));
        var preference = Preference.OutputAbove(0.5, 0.5);
        var options = new CountOptions { Prune = false, AllowMeetInTheMiddle = false, MaxParallelism = 1, SplitDepth = 3, LeafFreeInputs = 9 };
        long cube = (long)Math.Pow(3, network.Shape.InputCount);
        list.Add(new Contender(tag, $"GenBias exact count {tag}, per input (leaf, no pruning)", () =>
        {
            CoverageCounter.Count(network, preference, options);
            return cube;
        }, peer));
        // The same leaf evaluating every input exactly (no bounded first pass): the previous leaf, for the ratio.
        var exactOnly = options with { BoundedFirstPass = false };
        list.Add(new Contender(tag, $"GenBias exact count {tag}, per input (leaf, no pruning, every input exact)", () =>
        {
            CoverageCounter.Count(network, preference, exactOnly);
            return cube;
        }, peer));
    }

    /// <summary>
    /// The counting leaf on the issue's own shapes, 25 → 16 → 1 and 25 → 32 → 1 (random parameters): one 3^16 sub-cube (the first nine
    /// inputs of the order fixed), enumerated without pruning on one thread through <see cref="CountPlan"/> — the leaf
    /// alone, without a whole count's setup (tables, threads), which the 3^12 counts above include.
    /// </summary>
    private static void AddSubCubeLeaf(List<Contender> list, ITernaryNetwork network, string tag, string? peer)
    {
        network.SetParameters(BenchmarkData.Parameters(network.Shape, 4));
        var preference = Preference.OutputAbove(0.5, 0.5);
        var options = new CountOptions { Prune = false, AllowMeetInTheMiddle = false, MaxParallelism = 1, SplitDepth = 3, LeafFreeInputs = 9 };
        CountPlan plan = CountPlan.Create(network, preference, options, [1, 0, -1, 1, 0, -1, 1, 0, -1]);
        long inputs = plan.Cube;
        list.Add(new Contender(tag, $"GenBias exact count {tag}, per input (leaf, no pruning, one 3^16 sub-cube)", () =>
        {
            for (long s = 0; s < plan.SubCubes; s++)
            {
                plan.CountSubCube(s);
            }

            return inputs;
        }, peer));
    }

    /// <summary>
    /// Training 25 → 16 → 1 on 60,000 rows: the plain dense baseline's epoch (batch 64, Adam) against whole
    /// <see cref="PreferenceTrainer.Train"/> calls (one epoch, and four epochs per row and epoch), without and with a
    /// preference over the cube (proxy-Lagrangian: 64 surrogate samples forward and backward and 128 multiplier samples
    /// forward per step, as the defaults say; FreeBaseline off except where named), on one thread and on two.
    /// </summary>
    private static void AddTraining(List<Contender> list)
    {
        const int Rows = TrainingData.Rows, Inputs = TrainingData.Inputs;
        (TernaryDataset data, float[] floats, byte[] labels) = TrainingData.Create();
        var baseline = new DenseBaseline(Inputs, 16, 1);
        const string Dense = "dense Vector256 baseline 25-16-1, epoch of 60,000 rows, batch 64 (per row)";
        list.Add(new Contender("training", Dense, () => { baseline.Epoch(floats, labels, 64); return Rows; }));
        var network = new Hidden25x16x1();
        var plain = new TrainerOptions { Epochs = 1, ValidationFraction = 0, Seed = 1, Threads = 1 };
        var preferred = plain with { Preferences = [Preference.OutputAbove(0.5, 0.6)], FreeBaseline = false };
        const string Plain1 = "GenBias Train 25-16-1, 1 epoch, no preference, 1 thread (per row)";
        const string Cube1 = "GenBias Train 25-16-1, 1 epoch, cube preference, 1 thread (per row)";
        list.Add(new Contender("training", Plain1, () => { PreferenceTrainer.Train(network, data, plain); return Rows; }, Dense));
        list.Add(new Contender("training", Cube1, () => { PreferenceTrainer.Train(network, data, preferred); return Rows; }, Dense));
        // The same on 2 threads (the same bits), against one thread.
        list.Add(new Contender("training", "GenBias Train 25-16-1, 1 epoch, no preference, 2 threads (per row)", () =>
        {
            PreferenceTrainer.Train(network, data, plain with { Threads = 2 });
            return Rows;
        }, Plain1));
        list.Add(new Contender("training", "GenBias Train 25-16-1, 1 epoch, cube preference, 2 threads (per row)", () =>
        {
            PreferenceTrainer.Train(network, data, preferred with { Threads = 2 });
            return Rows;
        }, Cube1));
        list.Add(new Contender("training", "GenBias Train 25-16-1, 4 epochs, cube preference, 1 thread (per row and epoch)", () =>
        {
            PreferenceTrainer.Train(network, data, preferred with { Epochs = 4, Patience = 0 });
            return 4 * Rows;
        }, Dense));
        // The default FreeBaseline: 4 free epochs, 4 with the preference, calibrations and the candidates' checks.
        list.Add(new Contender("training", "GenBias Train 25-16-1, 4 + 4 epochs with FreeBaseline, 1 thread (per row and epoch run)", () =>
        {
            PreferenceTrainer.Train(network, data, preferred with { Epochs = 4, Patience = 0, FreeBaseline = true });
            return 8 * Rows;
        }, Dense));
    }

    /// <summary>
    /// Batches (packed and sbyte rows), one packed input and the accumulator of <paramref name="network"/>, each beside
    /// ONNX Runtime or the same work of <paramref name="previous"/> (the previous build's kernel, same parameters).
    /// </summary>
    private static void AddKernels(List<Contender> list, List<IDisposable> disposables, ITernaryNetwork network, ITernaryNetwork previous, string tag)
    {
        const int Rows = 4096, Singles = 256;
        NetworkShape shape = network.Shape;
        network.SetParameters(BenchmarkData.Parameters(shape, 2));
        previous.SetParameters(network.Parameters);
        int n = shape.InputCount, outputs = shape.OutputCount;
        sbyte[] inputs = BenchmarkData.Inputs(Rows, n, 3);
        float[] floats = inputs.Select(v => (float)v).ToArray();
        float[] results = new float[Rows * outputs], before = new float[Rows * outputs], peerResults = new float[Rows * outputs];
        ulong[] packed = new ulong[2 * Rows];
        for (int r = 0; r < Rows; r++)
        {
            (packed[2 * r], packed[(2 * r) + 1]) = TernaryInput.Pack(inputs.AsSpan(r * n, n));
        }

        previous.ForwardBatch(inputs, before);
        network.ForwardBatch(packed, results);
        bool same = results.AsSpan().SequenceEqual(before);
        network.ForwardBatch(inputs, results);
        if (!same || !results.AsSpan().SequenceEqual(before))
        {
            throw new InvalidOperationException($"{tag}: the batch kernel's bits differ from the previous build's.");
        }

        var peer = new OnnxPeer(shape, network.Parameters, floats, peerResults);
        disposables.Add(peer);
        string ort = $"ONNX Runtime batch {tag}";
        list.Add(new Contender(tag, ort, () => { peer.Run(); return Rows; }));
        foreach ((ITernaryNetwork net, string who) in new[] { (network, "GenBias"), (previous, "previous") })
        {
            list.Add(new Contender(tag, $"{who} batch {tag} (packed)", () => { net.ForwardBatch(packed, results); return Rows; }, ort));
            list.Add(new Contender(tag, $"{who} batch {tag} (sbyte rows)", () => { net.ForwardBatch(inputs, results); return Rows; }, ort));
        }

        float[] one = new float[outputs];
        string previousSingle = $"previous single {tag} (packed)";
        list.Add(new Contender(tag, previousSingle, () =>
        {
            for (int r = 0; r < Singles; r++)
            {
                previous.Forward(packed[2 * r], packed[(2 * r) + 1], one);
            }

            return Singles;
        }));
        string single = $"GenBias single {tag} (packed)";
        list.Add(new Contender(tag, single, () =>
        {
            for (int r = 0; r < Singles; r++)
            {
                network.Forward(packed[2 * r], packed[(2 * r) + 1], one);
            }

            return Singles;
        }, previousSingle));
        var accumulator = new TernaryAccumulator(network);
        accumulator.Reset(inputs.AsSpan(0, n));
        sbyte[] held = inputs[..n]; // what the accumulator holds, so that every Set changes an input
        list.Add(new Contender(tag, $"GenBias accumulator {tag}, one change then Evaluate", () =>
        {
            for (int r = 0; r < Singles; r++)
            {
                accumulator.Set(r % n, held[r % n] = Changed(held[r % n], inputs[r]));
                accumulator.Evaluate(one);
            }

            return Singles;
        }, single));
    }

    /// <summary>
    /// A batch of 4096 rows (packed when the shape has at most 64 inputs, and sbyte rows) beside ONNX Runtime's batch, and
    /// single inputs (packed, or a span above 64 inputs) beside ONNX Runtime's run of one row.
    /// </summary>
    /// <remarks>
    /// With <paramref name="floatTwin"/> (a second network of the same shape), the twin gets the same parameters but
    /// one first-layer weight of 0.5 (on the grid, beyond 16 bits), so that its batches take the float first-layer
    /// kernels: the int16 kernels' batch against the float kernels' batch, interleaved.
    /// </remarks>
    private static void AddWide(List<Contender> list, List<IDisposable> disposables, ITernaryNetwork network, string tag, ITernaryNetwork? floatTwin = null)
    {
        const int Rows = 4096, Singles = 256;
        NetworkShape shape = network.Shape;
        network.SetParameters(BenchmarkData.Parameters(shape, 2));
        int n = shape.InputCount, outputs = shape.OutputCount;
        sbyte[] inputs = BenchmarkData.Inputs(Rows, n, 3);
        float[] floats = inputs.Select(v => (float)v).ToArray();
        float[] results = new float[Rows * outputs], peerResults = new float[Rows * outputs];
        var peer = new OnnxPeer(shape, network.Parameters, floats, peerResults);
        var singlePeer = new OnnxPeer(shape, network.Parameters, floats[..n], new float[outputs]);
        disposables.Add(peer);
        disposables.Add(singlePeer);
        string ort = $"ONNX Runtime batch {tag}", ortSingle = $"ONNX Runtime single {tag} (one-row run)";
        list.Add(new Contender(tag, ort, () => { peer.Run(); return Rows; }));
        float[] one = new float[outputs];
        if (n <= 64)
        {
            ulong[] packed = new ulong[2 * Rows];
            for (int r = 0; r < Rows; r++)
            {
                (packed[2 * r], packed[(2 * r) + 1]) = TernaryInput.Pack(inputs.AsSpan(r * n, n));
            }

            list.Add(new Contender(tag, $"GenBias batch {tag} (packed)", () => { network.ForwardBatch(packed, results); return Rows; }, ort));
            list.Add(new Contender(tag, $"GenBias batch {tag} (sbyte rows)", () => { network.ForwardBatch(inputs, results); return Rows; }, ort));
            list.Add(new Contender(tag, ortSingle, () => { singlePeer.Run(); return 1; }));
            list.Add(new Contender(tag, $"GenBias single {tag} (packed)", () =>
            {
                for (int r = 0; r < Singles; r++)
                {
                    network.Forward(packed[2 * r], packed[(2 * r) + 1], one);
                }

                return Singles;
            }, ortSingle));
        }
        else
        {
            // Packed rows of any width: per 64 inputs the positive mask, then the negative mask.
            int words = TernaryInput.PackedWordsPerRow(n);
            ulong[] packed = new ulong[words * Rows];
            for (int r = 0; r < Rows; r++)
            {
                TernaryInput.Pack(inputs.AsSpan(r * n, n), packed.AsSpan(r * words, words));
            }

            string packedName = $"GenBias batch {tag} (packed)";
            list.Add(new Contender(tag, packedName, () => { network.ForwardBatch(packed, results); return Rows; }, ort));
            list.Add(new Contender(tag, $"GenBias batch {tag} (sbyte rows)", () => { network.ForwardBatch(inputs, results); return Rows; }, ort));
            SecondRatios.Add((packedName, $"GenBias batch {tag} (sbyte rows)"));
            if (floatTwin is not null)
            {
                float[] twin = network.Parameters.ToArray();
                twin[shape.Layers[0].WeightIndex(0, 0)] = 0.5f;
                floatTwin.SetParameters(twin);
                float[] twinResults = new float[Rows * outputs];
                string byFloats = $"GenBias batch {tag} (sbyte rows, float first layer: one weight beyond 16 bits)";
                list.Add(new Contender(tag, byFloats, () => { floatTwin.ForwardBatch(inputs, twinResults); return Rows; }, ort));
                SecondRatios.Add(($"GenBias batch {tag} (sbyte rows)", byFloats));
            }

            list.Add(new Contender(tag, ortSingle, () => { singlePeer.Run(); return 1; }));
        }

        list.Add(new Contender(tag, $"GenBias single {tag} (span)", () =>
        {
            for (int r = 0; r < Singles; r++)
            {
                network.Forward(inputs.AsSpan(r * n, n), one);
            }

            return Singles;
        }, ortSingle));
        // GENBIAS_ROW_KERNELS=1: one row's first layer alone from the columns, the pair table and the triple table (the
        // kernels Forward chooses among by ShapeRules), and the cost of SetParameters and of building each table.
        if (Environment.GetEnvironmentVariable("GENBIAS_ROW_KERNELS") == "1" && ShapeRules.AddsFirstLayerColumns(n, shape.Layers[0].Width))
        {
            int width = shape.Layers[0].Width, padded = ShapeRules.PaddedWidth(width);
            float[] parameters = network.Parameters.ToArray();
            var columns = new AlignedFloats(ShapeRules.PackedLayerSize(n, width));
            ParameterPacking.Pack(NetworkShape.Create(n, (width, shape.Layers[0].Activation)), parameters.AsSpan(0, ShapeRules.LayerParameterCount(n, width)), columns.Span);
            var pairs = new AlignedFloats(ShapeRules.PairTableFloats(n, width));
            var triples = new AlignedFloats(ShapeRules.TripleTableFloats(n, width));
            WideFirstLayer.BuildPairs(columns.Span, n, padded, pairs.Span);
            WideFirstLayer.BuildTriples(columns.Span, n, padded, triples.Span);
            float[] pre = new float[padded];
            string byColumns = $"first layer only {tag}, columns";
            list.Add(new Contender(tag, byColumns, () =>
            {
                for (int r = 0; r < Singles; r++)
                {
                    WideFirstLayer.RowPreActivations(ref inputs[r * n], n, ref columns.Origin, padded, width, ref pre[0]);
                }

                return Singles;
            }));
            string byPairs = $"first layer only {tag}, pair table";
            list.Add(new Contender(tag, byPairs, () =>
            {
                for (int r = 0; r < Singles; r++)
                {
                    WideFirstLayer.RowPairPreActivations(ref inputs[r * n], n, ref pairs.Origin, padded, width, ref pre[0]);
                }

                return Singles;
            }, byColumns));
            list.Add(new Contender(tag, $"first layer only {tag}, triple table", () =>
            {
                for (int r = 0; r < Singles; r++)
                {
                    WideFirstLayer.RowTriplePreActivations(ref inputs[r * n], n, ref triples.Origin, padded, width, ref pre[0]);
                }

                return Singles;
            }, byPairs));
            list.Add(new Contender(tag, $"SetParameters {tag}", () => { network.SetParameters(parameters); return 1; }));
            string buildPairs = $"BuildPairs {tag}";
            list.Add(new Contender(tag, buildPairs, () => { WideFirstLayer.BuildPairs(columns.Span, n, padded, pairs.Span); return 1; }));
            list.Add(new Contender(tag, $"BuildTriples {tag}", () => { WideFirstLayer.BuildTriples(columns.Span, n, padded, triples.Span); return 1; }, buildPairs));
            int[] shortPairs = new int[ShapeRules.ShortPairTableInts(n, width)];
            list.Add(new Contender(tag, $"BuildShortPairs {tag}", () => { WideFirstLayer.BuildShortPairs(parameters, n, width, padded, shortPairs); return 1; }, buildPairs));
        }

        // GENBIAS_DOT_ONLY=1: the first layer alone (16 rows per call), float and int16 kernels, the share of a row they take.
        if (Environment.GetEnvironmentVariable("GENBIAS_DOT_ONLY") == "1")
        {
            AddFirstLayerOnly(list, tag, shape, network.Parameters.ToArray(), inputs, ort);
        }
    }

    /// <summary>
    /// The first layer of <paramref name="shape"/> alone, 16 rows per call over 4,096 rows, by the float kernel the batch
    /// takes (dot products or register tiles) and by the int16 kernel, with the int16 kernel's ratio to the float one.
    /// </summary>
    private static void AddFirstLayerOnly(List<Contender> list, string tag, NetworkShape shape, float[] parameters, sbyte[] inputs, string? peer)
    {
        const int Rows = 4096;
        int n = shape.InputCount, width = shape.Layers[0].Width, padded = ShapeRules.PaddedWidth(width);
        bool dots = ShapeRules.DotsFirstLayer(n, width);
        if (!dots && !ShapeRules.AddsFirstLayerColumns(n, width))
        {
            return;
        }

        float[] pre = new float[16 * padded];
        var table = new AlignedFloats(ShapeRules.ShortPairTableInts(n, width));
        if (!WideFirstLayer.BuildShortPairs(parameters, n, width, padded, System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(table.Span)))
        {
            throw new InvalidOperationException("The benchmark's first layer does not fit 16 bits.");
        }

        var columns = new AlignedFloats(ShapeRules.PackedLayerSize(n, width));
        ParameterPacking.Pack(NetworkShape.Create(n, (width, shape.Layers[0].Activation)), parameters.AsSpan(0, ShapeRules.LayerParameterCount(n, width)), columns.Span);
        string floatKernel = dots ? $"dot pre-activations only {tag}" : $"tile pre-activations only {tag}";
        list.Add(new Contender(tag, floatKernel, () =>
        {
            for (int r = 0; r + 16 <= Rows; r += 16)
            {
                if (dots)
                {
                    WideFirstLayer.DotPreActivations(ref inputs[r * n], n, ref parameters[0], ref parameters[shape.Layers[0].BiasIndex(0)], width, ref pre[0]);
                }
                else
                {
                    WideFirstLayer.TilePreActivations(ref inputs[r * n], n, ref columns.Origin, padded, width, ref pre[0]);
                }
            }

            return Rows;
        }, peer));
        string shorts = $"{floatKernel} (int16)";
        list.Add(new Contender(tag, shorts, () =>
        {
            ref int t = ref System.Runtime.CompilerServices.Unsafe.As<float, int>(ref table.Origin);
            for (int r = 0; r + 16 <= Rows; r += 16)
            {
                if (dots)
                {
                    WideFirstLayer.DotShortPreActivations(ref inputs[r * n], n, ref t, padded, width, ref pre[0]);
                }
                else
                {
                    WideFirstLayer.TileShortPreActivations(ref inputs[r * n], n, ref t, padded, width, ref pre[0]);
                }
            }

            return Rows;
        }, peer));
        SecondRatios.Add((shorts, floatKernel));
    }

    /// <summary>
    /// GENBIAS_KERNEL_SHAPES=1 with --wide: the first layer alone, float against int16 kernels, for first layers of other
    /// shapes than the benchmark networks' (random parameters on the grid, ±1/√n, rows uniform over −1, 0, 1).
    /// </summary>
    private static void AddKernelShapes(List<Contender> list)
    {
        foreach ((int n, int width) in new[] { (65, 32), (130, 41), (400, 160), (1024, 256), (784, 20), (65, 31), (201, 9), (1000, 16) })
        {
            NetworkShape shape = NetworkShape.Create(n, (width, Activation.Tanh));
            AddFirstLayerOnly(list, $"{n}-{width}", shape, BenchmarkData.Parameters(shape, 5), BenchmarkData.Inputs(4096, n, 6), null);
        }

        // Rows with 80 % zeros, independent (images have more zeros shared between rows, at their borders): the tiles skip
        // an input zero in all four rows of a tile, the int16 tiles a pair zero in all four.
        var random = new Random(7);
        NetworkShape image = NetworkShape.Create(784, (64, Activation.Tanh));
        sbyte[] sparse = [.. Enumerable.Range(0, 4096 * 784).Select(_ => random.Next(10) < 8 ? (sbyte)0 : (sbyte)((random.Next(2) * 2) - 1))];
        AddFirstLayerOnly(list, "784-64 (80 % zeros)", image, BenchmarkData.Parameters(image, 5), sparse, null);
    }

    private static void AddForward<T>(List<Contender> list, List<IDisposable> disposables, T network, string tag)
        where T : ITernaryNetwork
    {
        const int Rows = 4096, Singles = 256;
        NetworkShape shape = network.Shape;
        network.SetParameters(BenchmarkData.Parameters(shape, 2));
        int n = shape.InputCount, outputs = shape.OutputCount;
        sbyte[] inputs = BenchmarkData.Inputs(Rows, n, 3);
        float[] floats = inputs.Select(v => (float)v).ToArray();
        float[] results = new float[Rows * outputs];
        float[] peerResults = new float[Rows * outputs];
        ulong[] packed = new ulong[2 * Rows];
        if (n <= 64)
        {
            for (int r = 0; r < Rows; r++)
            {
                (packed[2 * r], packed[(2 * r) + 1]) = TernaryInput.Pack(inputs.AsSpan(r * n, n));
            }
        }

        var peer = new OnnxPeer(shape, network.Parameters, floats, peerResults);
        disposables.Add(peer);
        string ort = $"ONNX Runtime batch {tag}";
        list.Add(new Contender(tag, ort, () => { peer.Run(); return Rows; }));
        list.Add(new Contender(tag, $"GenBias batch {tag} (sbyte rows)", () => { network.ForwardBatch(inputs, results); return Rows; }, ort));
        if (ShapeRules.AddsFirstLayerColumns(n, shape.Layers[0].Width))
        {
            // The same network with one first-layer weight a third of a grid step off: the canonical multiply-add path
            // that the column sums replace on the grid.
            var offGrid = (ITernaryNetwork)Activator.CreateInstance(network.GetType())!;
            float[] parameters = network.Parameters.ToArray();
            parameters[shape.Layers[0].WeightIndex(0, 0)] += FixedPointGrid.Step / 3;
            offGrid.SetParameters(parameters);
            list.Add(new Contender(tag, $"GenBias batch {tag} (sbyte rows, first layer off the grid: multiply-adds)", () => { offGrid.ForwardBatch(inputs, results); return Rows; }, ort));
        }

        if (n <= 64)
        {
            list.Add(new Contender(tag, $"GenBias batch {tag} (packed)", () => { network.ForwardBatch(packed, results); return Rows; }, ort));
        }

        float[] one = new float[outputs];
        string span = $"GenBias single {tag} (span)";
        list.Add(new Contender(tag, span, () =>
        {
            for (int r = 0; r < Singles; r++)
            {
                network.Forward(inputs.AsSpan(r * n, n), one);
            }

            return Singles;
        }));
        if (n <= 64)
        {
            list.Add(new Contender(tag, $"GenBias single {tag} (packed)", () =>
            {
                for (int r = 0; r < Singles; r++)
                {
                    network.Forward(packed[2 * r], packed[(2 * r) + 1], one);
                }

                return Singles;
            }, span));
        }

        // Incremental evaluation: one input changed (a walk over the same inputs), then the output.
        var accumulator = new TernaryAccumulator(network);
        accumulator.Reset(inputs.AsSpan(0, n));
        sbyte[] held = inputs[..n]; // what the accumulator holds, so that every Set changes an input
        list.Add(new Contender(tag, $"GenBias accumulator {tag}, one change then Evaluate", () =>
        {
            for (int r = 0; r < Singles; r++)
            {
                accumulator.Set(r % n, held[r % n] = Changed(held[r % n], inputs[r]));
                accumulator.Evaluate(one);
            }

            return Singles;
        }, n <= 64 ? $"GenBias single {tag} (packed)" : span));
    }

    /// <summary>A value other than <paramref name="current"/>, one of the two picked by <paramref name="choice"/>: a real change.</summary>
    private static sbyte Changed(sbyte current, sbyte choice) => (sbyte)(((current + 1 + (choice == 1 ? 2 : 1)) % 3) - 1);
}

/// <summary>The training rows of the side-by-side: 60,000 rows of 25 inputs, as a dataset and as floats with byte labels.</summary>
internal static class TrainingData
{
    public const int Rows = 60_000, Inputs = 25;

    public static (TernaryDataset Data, float[] Floats, byte[] Labels) Create()
    {
        sbyte[] inputs = BenchmarkData.Inputs(Rows, Inputs, 7);
        float[] floats = inputs.Select(v => (float)v).ToArray();
        byte[] labels = new byte[Rows];
        var rows = new sbyte[Rows][];
        for (int r = 0; r < Rows; r++)
        {
            rows[r] = inputs.AsSpan(r * Inputs, Inputs).ToArray();
            labels[r] = (byte)(rows[r][0] + rows[r][1] + rows[r][2] - rows[r][7] > 1 ? 1 : 0);
        }

        return (TernaryDataset.FromArrays(rows, labels.Select(l => (int)l).ToArray()), floats, labels);
    }
}

internal static partial class Machine
{
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>The calling thread's CPU time in nanoseconds (CLOCK_THREAD_CPUTIME_ID, Linux).</summary>
    public static double ThreadCpuNanoseconds()
    {
        const int ThreadCpuTime = 3;
        return ClockGetTime(ThreadCpuTime, out TimeSpec time) == 0 ? (time.Seconds * 1e9) + time.Nanoseconds : throw new InvalidOperationException("clock_gettime failed.");
    }

    public static string Cpu()
    {
        try
        {
            string? line = System.IO.File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line == null ? "unknown" : line[(line.IndexOf(':') + 1)..].Trim() + $", {Environment.ProcessorCount} logical cores";
        }
        catch (System.IO.IOException)
        {
            return "unknown";
        }
    }

    public static string LoadAverage()
    {
        try
        {
            return System.IO.File.ReadAllText("/proc/loadavg").Trim();
        }
        catch (System.IO.IOException)
        {
            return "unknown";
        }
    }
}
