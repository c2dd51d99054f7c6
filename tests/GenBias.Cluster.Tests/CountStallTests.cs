using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace GenBias.Cluster.Tests;

/// <summary>
/// A count that stalls while its coordinator still answers — no silo runs counting loops, or a worker takes sub-cubes
/// and never reports — ends the watch with a message naming what is missing, instead of a status printed forever.
/// </summary>
[Collection("silos")]
public sealed class CountStallTests(ITestOutputHelper output)
{
    /// <summary>A silo with the count storage and no counting loops.</summary>
    private sealed class NoWorkers : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.Services.AddGrainStorage(ClusterCounting.StorageName, (sp, _) =>
                new SharedGrainStorage(sp.GetRequiredService<Serializer>(), sp.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString()));
            siloBuilder.UseMembershipForFewSilos();
        }
    }

    private static async Task<TestCluster> Start()
    {
        SharedGrainStorage.Clear();
        var builder = new TestClusterBuilder(1);
        // Real sockets: the command line connects to the gateway as to any silo.
        builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
        builder.AddSiloBuilderConfigurator<NoWorkers>();
        TestCluster cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    [Fact]
    public async Task A_watcher_gives_up_on_a_count_that_makes_no_progress_and_says_what_is_missing()
    {
        // A lease of 1 s: the stall time is the larger of StallAfter and twice the lease time.
        (CountJob job, _, long subCubes) = ClusterCountTests.Job(lease: TimeSpan.FromSeconds(1));
        await using TestCluster cluster = await Start();
        string key = await ClusterCounting.SubmitAsync(cluster.GrainFactory, job);
        var watch = new CountWatchOptions { Interval = TimeSpan.FromMilliseconds(50), StallAfter = TimeSpan.FromSeconds(2) };

        // No silo runs counting loops: nobody asks for a sub-cube.
        var clock = Stopwatch.StartNew();
        CountStalledException idle = await Assert.ThrowsAsync<CountStalledException>(() => ClusterCounting.WatchAsync(cluster.GrainFactory, job, watch));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: {idle.Message}");
        Assert.Equal(key, idle.Key);
        Assert.Equal(0, idle.Status.Done);
        Assert.InRange(idle.StalledFor.TotalSeconds, 2, 60);
        Assert.Contains($"made no progress for {idle.StalledFor.TotalSeconds:F0} s at 0/{subCubes} sub-cubes", idle.Message, StringComparison.Ordinal);
        Assert.Contains("no worker holds a sub-cube, and none has asked for one since the coordinator started", idle.Message, StringComparison.Ordinal);
        Assert.Contains($"the membership lists 1 active silo(s): {cluster.Primary!.SiloAddress}", idle.Message, StringComparison.Ordinal);

        // A lease time given when the job is submitted again is the one in force (the key is the plan's: the same count).
        ICountCoordinatorGrain coordinator = cluster.GrainFactory.GetGrain<ICountCoordinatorGrain>(key);
        Assert.Equal(key, await ClusterCounting.SubmitAsync(cluster.GrainFactory, job with { LeaseTime = TimeSpan.FromSeconds(5) }));
        Assert.Equal(TimeSpan.FromSeconds(5), (await coordinator.Status()).LeaseTime);
        Assert.Equal(key, await ClusterCounting.SubmitAsync(cluster.GrainFactory, job));
        Assert.Equal(TimeSpan.FromSeconds(1), (await coordinator.Status()).LeaseTime);

        // A worker that keeps taking sub-cubes and never reports (its reports cannot get through, say).
        using var stop = new CancellationTokenSource();
        Task stuck = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await coordinator.Lease("a stuck worker");
                await Task.Delay(100);
            }
        });
        CountStalledException holding = await Assert.ThrowsAsync<CountStalledException>(() => ClusterCounting.WatchAsync(cluster.GrainFactory, job, watch));
        await stop.CancelAsync();
        await stuck;
        output.WriteLine(holding.Message);
        Assert.True(holding.Status.Leased > 0);
        Assert.Contains("sub-cube(s) on lease to a stuck worker, and no result since the coordinator started", holding.Message, StringComparison.Ordinal);
        Assert.Contains("their leases are lent again after 1 s", holding.Message, StringComparison.Ordinal);

        // The command line says the same and exits 3 (stalled), not 0 or 1.
        string model = Path.Combine(Path.GetTempPath(), $"clustercount-stall-{Guid.NewGuid():N}.json");
        await File.WriteAllBytesAsync(model, job.Model);
        try
        {
            var error = new StringWriter();
            int code = await Cli.Run(
                ["count", "--model", model, "--split", I(job.SplitDepth), "--fix", string.Join(',', job.FixedInputs), "--lease", "1", "--stall", "2",
                 "--silos", "1", "--gateway-port", I(cluster.Options.BaseGatewayPort), "--cluster-id", cluster.Options.ClusterId, "--service-id", cluster.Options.ServiceId],
                new StringWriter(), error);
            output.WriteLine(error.ToString());
            Assert.Equal(Cli.Stalled, code);
            Assert.Contains($"ClusterCount: Count {key} made no progress for", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(model);
        }

        static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
