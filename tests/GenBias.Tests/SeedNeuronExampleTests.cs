extern alias SeedExample;

using System;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using SeedExample::SeedNeuron;
using Xunit;

namespace GenBias.Tests;

/// <summary>The 25-input majority example's command line and its full count: help, bad --leaf values, Ctrl-C, edited and stale checkpoints.</summary>
public sealed class SeedNeuronExampleTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("genbias-seed-example").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("--leaf -5", "--leaf -5: give a whole number of free inputs from 1 to 19.")]
    [InlineData("--leaf abc", "--leaf abc: give a whole number of free inputs from 1 to 19.")]
    [InlineData("--leaf 0", "--leaf 0: give a whole number of free inputs from 1 to 19.")]
    [InlineData("--leaf", "--leaf needs a number of free inputs, from 1 to 19.")]
    [InlineData("--leaf 30", "--leaf 30: give a whole number of free inputs from 1 to 19.")]
    [InlineData("--full-cuont", "unknown option '--full-cuont'; the options are --full-count, --leaf N and --help.")]
    public void SeedNeuron_refuses_bad_leaf_values_and_unknown_options_clearly(string args, string message)
    {
        string[] words = ["--full-count", .. args.Split(' ')];
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => Arguments.Parse(words)).Message);
    }

    [Fact]
    public void SeedNeuron_has_help_and_reads_its_options()
    {
        Assert.True(Arguments.Parse(["--help"]).Help);
        Assert.True(Arguments.Parse(["-h"]).Help);
        Assert.Contains("--full-count", Arguments.Usage);
        Assert.Contains("Ctrl-C", Arguments.Usage);
        Assert.Equal(new Arguments(false, true, 9), Arguments.Parse(["--full-count", "--leaf", "9"]));
        Assert.Equal(new Arguments(false, false, null), Arguments.Parse([]));
    }

    [Fact]
    public void SeedNeuron_full_count_stopped_by_CtrlC_exits_cleanly_and_an_edited_checkpoint_is_a_message()
    {
        // A trained 25 → 16 → 1 network: its exact count takes hours, so a cancel always lands mid-count.
        var network = new SeedHiddenNetwork();
        var random = new Random(2);
        sbyte[][] rows = [.. Enumerable.Range(0, 400).Select(_ => Enumerable.Range(0, 25).Select(_ => (sbyte)random.Next(-1, 2)).ToArray())];
        TernaryDataset data = TernaryDataset.FromArrays(rows, [.. rows.Select(r => r.Take(5).Sum(v => v) >= 2 ? 1 : 0)]);
        PreferenceTrainer.Train(network, data, new TrainerOptions { Epochs = 2, Seed = 3 });
        ModelFile.Save(FullCount.ModelPath(_folder), network, [Preference.OutputAbove(0.5, 0.6)]);

        // A temporary file of a killed run is removed; one whose writer is still running (this process) is kept.
        string checkpoint = FullCount.CheckpointPath(_folder);
        string stale = Path.Combine(_folder, $".{Path.GetFileName(checkpoint)}.999999999.0a1b.tmp");
        string live = Path.Combine(_folder, $".{Path.GetFileName(checkpoint)}.{Environment.ProcessId}.2c3d.tmp");
        File.WriteAllText(stale, "{");
        File.WriteAllText(live, "{");

        var output = new StringWriter();
        using (var ctrlC = new CancellationTokenSource(TimeSpan.FromSeconds(1.5)))
        {
            Assert.Equal(130, FullCount.Run(_folder, leaf: null, output, ctrlC.Token));
        }

        string said = output.ToString();
        Assert.Contains($"removed {stale}", said);
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(live));
        Assert.Contains($"Stopped. The finished sub-cubes are saved in the checkpoint {checkpoint}; run the example with --full-count again to resume from it", said);
        Assert.True(File.Exists(checkpoint));

        // An edited checkpoint is refused with a message (the count would otherwise run for hours: the token bounds the test).
        JsonNode edited = JsonNode.Parse(File.ReadAllText(checkpoint))!;
        edited["Done"]!["700"] = new JsonArray(1, 1);
        File.WriteAllText(checkpoint, edited.ToJsonString());
        output = new StringWriter();
        using (var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            Assert.Equal(1, FullCount.Run(_folder, leaf: null, output, bound.Token));
        }

        Assert.Contains("The checkpoint cannot be used:", output.ToString());
        Assert.Contains("the checkpoint's digest does not match its entries (edited or damaged); delete it to start over", output.ToString());

        // A checkpoint that is not even JSON: the message says to delete it.
        File.WriteAllText(checkpoint, "{\"Done\": [");
        output = new StringWriter();
        Assert.Equal(1, FullCount.Run(_folder, leaf: null, output, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token));
        Assert.Contains($"the checkpoint is not readable", output.ToString());
        Assert.Contains($"Delete {checkpoint} to count from the start.", output.ToString());
    }

    [Fact]
    public void SeedNeuron_full_count_without_a_model_says_how_to_make_one()
    {
        var output = new StringWriter();
        Assert.Equal(1, FullCount.Run(_folder, leaf: null, output, CancellationToken.None));
        Assert.Contains("run the example once without --full-count to train it", output.ToString());
    }
}
