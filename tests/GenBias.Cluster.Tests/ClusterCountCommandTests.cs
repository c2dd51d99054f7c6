using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using Xunit;

namespace GenBias.Cluster.Tests;

/// <summary>The ClusterCount command line: its checks of what it is given, and its time-out when no silo answers.</summary>
public sealed class ClusterCountCommandTests
{
    private static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await Cli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Model()
    {
        NetworkShape shape = NetworkShape.Create(12, (4, Activation.Tanh), (1, Activation.Tanh));
        float[] parameters = new float[shape.ParameterCount];
        var random = new Random(5);
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (float)(random.NextDouble() - 0.5);
        }

        FixedPointGrid.SnapFirstLayer(shape, parameters);
        string path = Path.Combine(Path.GetTempPath(), $"clustercount-{Guid.NewGuid():N}.json");
        File.WriteAllBytes(path, ModelFile.ToJson(new ReferenceNetwork(shape, parameters), [Preference.OutputAbove(0.5, 0.5)]));
        return path;
    }

    [Fact]
    public async Task Help_lists_both_commands_their_options_and_the_exit_codes()
    {
        (int code, string output, _) = await Run("--help");
        Assert.Equal(0, code);
        foreach (string text in new[] { "ClusterCount silo", "ClusterCount count", "ClusterCount throughput", "--splits", "--cluster-id", "--gateway-port", "--cancel", "--timeout", "--stall", "3 stalled", "Exit codes", "detaches" })
        {
            Assert.Contains(text, output, StringComparison.Ordinal);
        }

        Assert.Equal(0, (await Run("count", "--help")).Code);
        Assert.Equal(2, (await Run()).Code);
    }

    [Fact]
    public async Task Throughput_reports_every_split_and_round_with_its_sub_cube_count()
    {
        string model = Model();
        try
        {
            int port = FreePort();
            (int code, string output, string error) = await Run("throughput", "--model", model, "--splits", "2,3", "--rounds", "2", "--silos", "1", "--loops", "2",
                "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(code == 0, error);
            foreach (string row in new[] { "| 2 | 9 | 1 |", "| 3 | 27 | 1 |", "| 2 | 9 | 2 |", "| 3 | 27 | 2 |" })
            {
                Assert.Contains(row, output, StringComparison.Ordinal);
            }

            (code, _, error) = await Run("throughput", "--model", model, "--splits", "11");
            Assert.Equal(2, code);
            Assert.Contains("--splits holds '11'; give whole numbers from 1 to 10", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(model);
        }
    }

    [Fact]
    public async Task Unknown_options_and_commands_are_refused_by_name()
    {
        (int code, _, string error) = await Run("silo", "--workers", "1", "--bogus", "2");
        Assert.Equal(2, code);
        Assert.Contains("silo has no option --bogus", error, StringComparison.Ordinal);
        (code, _, error) = await Run("count", "--model", "m.json", "stray");
        Assert.Equal(2, code);
        Assert.Contains("'stray' is not an option", error, StringComparison.Ordinal);
        (code, _, error) = await Run("counts");
        Assert.Equal(2, code);
        Assert.Contains("unknown command 'counts'", error, StringComparison.Ordinal);
        (code, _, error) = await Run("silo", "--index", "1", "--index", "2");
        Assert.Equal(2, code);
        Assert.Contains("--index is given twice", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_json_file_that_is_not_a_model_is_a_clear_error()
    {
        string path = Path.Combine(Path.GetTempPath(), $"not-a-model-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, "{\"a\": 1}");
        try
        {
            (int code, _, string error) = await Run("count", "--model", path, "--local");
            Assert.Equal(2, code);
            // The model reader's own message: the file, where in it, and what a model file holds.
            Assert.Contains($"{path}: line 1", error, StringComparison.Ordinal);
            Assert.Contains("a model file has formatVersion, shape, parameters", error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Split_out_of_range_is_refused()
    {
        string model = Model();
        try
        {
            (int code, _, string error) = await Run("count", "--model", model, "--split", "20", "--local");
            Assert.Equal(2, code);
            Assert.Contains("--split is '20'; give a whole number from 0 to 11", error, StringComparison.Ordinal);
            (code, string output, _) = await Run("count", "--model", model, "--split", "3", "--local");
            Assert.Equal(0, code);
            Assert.Contains("one process", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(model);
        }
    }

    [Fact]
    public async Task A_silo_on_a_taken_port_refuses_to_start()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        (int code, _, string error) = await Run("silo", "--silo-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--gateway-port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(2, code);
        Assert.Contains($"the silo port {port} is in use", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_count_with_no_silo_answering_times_out_with_a_clear_message()
    {
        string model = Model();
        try
        {
            var clock = Stopwatch.StartNew();
            (int code, _, string error) = await Run("count", "--model", model, "--split", "3", "--silos", "1",
                "--gateway-port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "2");
            Assert.Equal(1, code);
            Assert.Contains("no silo answered at localhost gateways", error, StringComparison.Ordinal);
            Assert.Contains("within 2 s", error, StringComparison.Ordinal);
            Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 30);
        }
        finally
        {
            File.Delete(model);
        }
    }
    [Fact]
    public void A_count_status_reads_as_one_line_an_operator_can_act_on()
    {
        var running = new CountStatus
        {
            Known = true, Done = 81, SubCubes = 243, Silos = ["a", "b", "c"], Elapsed = TimeSpan.FromSeconds(5), Leased = 2,
            Relent = 1, GivenBack = 2, Activations = 2, Restored = 75,
        };
        Assert.Equal("81/243 sub-cubes on 3 silo(s), 16.2/s, 0:00:10 left; 2 leased; 1 lent again (lease expired or silo dead); 2 given back by a stopping silo; coordinator restarted 1 time(s), 75 results read back", running.ToString());
        var finished = running with { Done = 243, Count = 1234, Total = 59049, Relent = 0, GivenBack = 0, Activations = 1 };
        Assert.Equal("243/243 sub-cubes on 3 silo(s), finished: 1,234 of 59,049 = 2.0898 % in 5.0 s", finished.ToString());
        Assert.Equal("81/243 sub-cubes on 3 silo(s), cancelled", (running with { Cancelled = true, Relent = 0, GivenBack = 0, Activations = 1 }).ToString());
        Assert.Equal("unknown to the cluster (never submitted, or its stored state was lost)", new CountStatus().ToString());
    }
}
