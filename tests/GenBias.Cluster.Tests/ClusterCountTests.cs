using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace GenBias.Cluster.Tests;

/// <summary>
/// Three silos in one process count a 3^19 cube of a 25 → 16 → 1 network (the first six inputs fixed, 243 sub-cubes)
/// and get exactly the single-process count: undisturbed; with a silo killed, stopped, or the coordinator's silo and
/// the primary killed; with durable (database-like) storage and with storage that is lost with its silo, as memory
/// storage is; with a duplicate report mid-count; cancelled and submitted again. Each asserts that what should have
/// happened did (leases lent again, the coordinator restarted elsewhere, sub-cubes given back).
/// </summary>
[Collection("silos")]
public sealed class ClusterCountTests(ITestOutputHelper output)
{
    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.Services.AddGrainStorage(ClusterCounting.StorageName, (sp, _) =>
                new SharedGrainStorage(sp.GetRequiredService<Serializer>(), sp.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString()));
            siloBuilder.AddGenBiasCounting(workers: 1, idlePoll: TimeSpan.FromMilliseconds(20));
            // A killed silo is declared dead in a few seconds, not the production default's tens.
            siloBuilder.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
            });
        }
    }

    /// <summary>A 25 → 16 → 1 tanh network with random parameters, the first layer on the grid.</summary>
    internal static ReferenceNetwork Network(int seed)
    {
        NetworkShape shape = NetworkShape.Create(25, (16, Activation.Tanh), (1, Activation.Tanh));
        var random = new Random(seed);
        float[] parameters = new float[shape.ParameterCount];
        foreach (LayerShape layer in shape.Layers)
        {
            float scale = 1.5f / MathF.Sqrt(layer.InputCount);
            for (int p = layer.WeightOffset; p < layer.BiasOffset + layer.Width; p++)
            {
                parameters[p] = (float)((random.NextDouble() * 2) - 1) * scale;
            }
        }

        FixedPointGrid.SnapFirstLayer(shape, parameters);
        return new ReferenceNetwork(shape, parameters);
    }

    private static readonly sbyte[] Prefix = [1, -1, 0, 1, 1, -1, 0, 0, 1, -1];

    private static readonly ConcurrentDictionary<(int, int, int), Lazy<long>> Expected = new();

    /// <summary>The job and its count by one process, sub-cube by sub-cube through the same plan (computed once per plan).</summary>
    internal static (CountJob Job, long Expected, long SubCubes) Job(int seed = 1, TimeSpan? lease = null, int fixedCount = 6, int splitDepth = 5)
    {
        ReferenceNetwork network = Network(seed);
        var preference = Preference.OutputAbove(0.3, 0.5);
        CountJob job = CountJob.For(network, preference, splitDepth, leafFreeInputs: 9, fixedInputs: Prefix[..fixedCount], leaseTime: lease);
        CountPlan plan = job.Build().Plan;
        Assert.Equal(plan.Cube, (long)Math.Pow(3, 25 - fixedCount));
        long expected = Expected.GetOrAdd((seed, fixedCount, splitDepth), _ => new Lazy<long>(() =>
        {
            long total = 0;
            Parallel.For(0L, plan.SubCubes, () => 0L, (s, _, sum) => sum + plan.CountSubCube(s).Count, sum => Interlocked.Add(ref total, sum));
            return total;
        })).Value;
        return (job, expected, plan.SubCubes);
    }

    private static async Task<TestCluster> Start()
    {
        SharedGrainStorage.Clear();
        var builder = new TestClusterBuilder(3);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        TestCluster cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private static async Task<CountStatus> WaitUntil(ICountCoordinatorGrain coordinator, Func<CountStatus, bool> condition)
    {
        CountStatus status = await coordinator.Status();
        for (int i = 0; i < 4000 && !condition(status); i++)
        {
            await Task.Delay(5);
            status = await coordinator.Status();
        }

        return status;
    }

    private static CountWatchOptions Fast(List<string>? notices = null) =>
        new() { Interval = TimeSpan.FromMilliseconds(50), Notice = notices is null ? null : notices.Add, GiveUpAfter = TimeSpan.FromSeconds(60) };

    private static SiloHandle SiloOf(TestCluster cluster, string address) => cluster.Silos.Single(s => s.SiloAddress.ToString() == address);

    [Fact]
    public async Task Three_silos_count_exactly_what_one_process_counts()
    {
        // 3^19 inputs in 243 sub-cubes: at 2 ns per input a 3^15 count (81 sub-cubes) was over in 0.08 s, before the
        // other two silos had taken a sub-cube.
        (CountJob job, long expected, long subCubes) = Job();
        await using TestCluster cluster = await Start();
        string key = await ClusterCounting.SubmitAsync(cluster.GrainFactory, job);
        CountStatus status = await ClusterCounting.WatchAsync(cluster.GrainFactory, key, Fast());
        Certificate certificate = ClusterCounting.ToCertificate(job, status);
        output.WriteLine(certificate.ToString());
        Assert.True(status.Finished);
        Assert.Equal(subCubes, status.Done);
        Assert.Equal(expected, status.Count);
        Assert.Equal(3, status.Silos.Length);
        Assert.Equal(CountMethod.Enumeration, certificate.Method);
        Assert.StartsWith("3 silos (Orleans)", certificate.ComputedOn);
        Assert.Contains("EXACT (enumeration on 3 silos", certificate.ToString());
        // Submitting the finished job again changes nothing.
        Assert.Equal(key, await ClusterCounting.SubmitAsync(cluster.GrainFactory, job));
        Assert.Equal(expected, (await cluster.GrainFactory.GetGrain<ICountCoordinatorGrain>(key).Status()).Count);
    }

    [Fact]
    public async Task Count_state_grows_with_the_work_not_its_square()
    {
        // 3^15 inputs in 729 sub-cubes: every report writes one shard of at most 81 results, the plan is written on
        // submission and on finishing, and a duplicate writes nothing.
        (CountJob job, long expected, long subCubes) = Job(fixedCount: 10, splitDepth: 6);
        await using TestCluster cluster = await Start();
        string key = await ClusterCounting.SubmitAsync(cluster.GrainFactory, job);
        CountStatus status = await ClusterCounting.WatchAsync(cluster.GrainFactory, job, Fast());
        Assert.Equal(expected, status.Count);
        SharedGrainStorage.WriteTally shards = SharedGrainStorage.Written("shard"), plan = SharedGrainStorage.Written("count");
        output.WriteLine($"{subCubes} sub-cubes: {shards.Writes} shard writes, {shards.Bytes:N0} bytes, largest {shards.Largest:N0}; {plan.Writes} plan writes, largest {plan.Largest:N0} bytes");
        Assert.Equal(subCubes, shards.Writes);
        Assert.InRange(shards.Largest, 1, 4096);
        Assert.InRange(shards.Bytes, subCubes * 16, subCubes * 2048);
        Assert.InRange(plan.Writes, 2, 3);
        long writes = shards.Writes;
        ICountCoordinatorGrain coordinator = cluster.GrainFactory.GetGrain<ICountCoordinatorGrain>(key);
        Assert.False(await coordinator.Report(100, 1, 0, "a late worker"));
        Assert.Equal(writes, SharedGrainStorage.Written("shard").Writes);
        Assert.Equal(expected, (await coordinator.Status()).Count);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => coordinator.Report(subCubes, 0, 0, "x"));
    }

    [Fact]
    public async Task A_sub_cube_reported_twice_mid_count_is_counted_once()
    {
        (CountJob job, long expected, _) = Job();
        await using TestCluster cluster = await Start();
        string key = await ClusterCounting.SubmitAsync(cluster.GrainFactory, job);
        ICountCoordinatorGrain coordinator = cluster.GrainFactory.GetGrain<ICountCoordinatorGrain>(key);
        CountStatus before = await WaitUntil(coordinator, s => s.Done >= 1);
        // A counted sub-cube, from its shard; a late worker reports it again with another number.
        (SubCubeResult[] stored, _) = await cluster.GrainFactory.GetGrain<ICountShardGrain>(ClusterCounting.ShardKey(key, 0)).Results();
        Assert.NotEmpty(stored);
        Assert.False(await coordinator.Report(stored[0].SubCube, stored[0].Count + 123_456, 0, "a late worker"));
        CountStatus during = await coordinator.Status();
        // The stored result is the first one (other workers' shard writes go on meanwhile; the duplicate's never came).
        (SubCubeResult[] after, _) = await cluster.GrainFactory.GetGrain<ICountShardGrain>(ClusterCounting.ShardKey(key, 0)).Results();
        Assert.Equal(stored[0], after.Single(r => r.SubCube == stored[0].SubCube));
        Assert.False(during.Finished, $"the duplicate arrived mid-count ({during.Done}/{during.SubCubes})");
        Assert.Equal(before.Duplicates + 1, during.Duplicates);
        CountStatus status = await ClusterCounting.WatchAsync(cluster.GrainFactory, job, Fast());
        Assert.Equal(expected, status.Count);
    }

    [Fact]
    public async Task A_silo_killed_mid_count_has_its_leases_lent_again()
    {
        // 3^19 inputs in 243 sub-cubes: long enough to kill a silo while it counts, even on a loaded machine.
        (CountJob job, long expected, _) = Job(lease: TimeSpan.FromSeconds(1));
        await using TestCluster cluster = await Start();
        string key = await ClusterCounting.SubmitAsync(cluster.GrainFactory, job);
        ICountCoordinatorGrain coordinator = cluster.GrainFactory.GetGrain<ICountCoordinatorGrain>(key);
        string host = (await coordinator.Status()).Host;
        // A silo that does not hold the coordinator (the coordinator's loss is the next tests'), killed (no goodbye)
        // once it has counted something and while it holds a lease.
        SiloHandle victim = cluster.Silos.First(s => s.SiloAddress.ToString() != host);
        CountStatus before = await WaitUntil(coordinator, s => s.Silos.Contains(victim.SiloAddress.ToString()));
        // A worker that takes a sub-cube and dies without a word, as a process killed with SIGKILL does (a silo killed
        // in this process still runs its stopping code, so its own worker may give its sub-cube back).
        SubCubeLease? ghost = await coordinator.Lease("a worker that dies");
        Assert.NotNull(ghost);
        await cluster.KillSiloAsync(victim);
        CountStatus status = await ClusterCounting.WatchAsync(cluster.GrainFactory, job, Fast());
        output.WriteLine($"killed {victim.SiloAddress} at {before.Done}/{before.SubCubes}; finished on {string.Join(", ", status.Silos)}; lent again {status.Relent}, duplicates {status.Duplicates}");
        Assert.True(before.Done < before.SubCubes);
        Assert.Equal(expected, status.Count);
        Assert.Equal(host, status.Host);
        Assert.True(status.Relent >= 1, "the dead worker's lease expired and its sub-cube was lent again");
    }

    [Fact]
    public async Task Killing_the_coordinators_silo_with_durable_storage_loses_nothing()
    {
        (CountJob job, long expected, _) = Job(lease: TimeSpan.FromSeconds(1));
        await using TestCluster cluster = await Start();
        string key = await ClusterCounting.SubmitAsync(cluster.GrainFactory, job);
        ICountCoordinatorGrain coordinator = cluster.GrainFactory.GetGrain<ICountCoordinatorGrain>(key);
        CountStatus before = await WaitUntil(coordinator, s => s.Done >= 10);
        SiloHandle victim = SiloOf(cluster, before.Host);
        await cluster.KillSiloAsync(victim);
        var notices = new List<string>();
        CountStatus status = await ClusterCounting.WatchAsync(cluster.GrainFactory, job, Fast(notices));
        output.WriteLine($"killed the coordinator's silo {victim.SiloAddress} (primary: {victim == cluster.Primary}) at {before.Done}/{before.SubCubes}; " +
            $"restarted on {status.Host} with {status.Restored} results restored; activations {status.Activations}; {string.Join(" | ", notices)}");
        Assert.True(before.Done < before.SubCubes);
        Assert.Equal(expected, status.Count);
        Assert.NotEqual(before.Host, status.Host);
        Assert.Equal(2, status.Activations);
        Assert.True(status.Restored >= before.Done, "every result counted before the loss was read back from storage");
        Assert.DoesNotContain(notices, n => n.Contains("lost the count's plan", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Killing_the_coordinators_silo_with_memory_storage_resumes_from_what_survives()
    {
        (CountJob job, long expected, _) = Job(lease: TimeSpan.FromSeconds(1));
        await using TestCluster cluster = await Start();
        string key = await ClusterCounting.SubmitAsync(cluster.GrainFactory, job);
        ICountCoordinatorGrain coordinator = cluster.GrainFactory.GetGrain<ICountCoordinatorGrain>(key);
        CountStatus before = await WaitUntil(coordinator, s => s.Done >= 10);
        SiloHandle victim = SiloOf(cluster, before.Host);
        // The plan is written by the coordinator, so it lives on the victim: memory storage loses it with the silo.
        Assert.Equal(victim.SiloAddress.ToString(), SharedGrainStorage.HolderOf("count", key));
        int lost = SharedGrainStorage.Lose(victim.SiloAddress);
        await cluster.KillSiloAsync(victim);
        // Without the job, a watcher can only say the count is lost (never 0/0 forever) ...
        CountLostException gone = await Assert.ThrowsAsync<CountLostException>(() => ClusterCounting.WatchAsync(cluster.GrainFactory, key, Fast()));
        Assert.Contains("submitting the same job again resumes it", gone.Message, StringComparison.OrdinalIgnoreCase);
        // ... with it, the watcher submits the plan again and the count finishes, exactly, from the shards that survived.
        var notices = new List<string>();
        CountStatus status = await ClusterCounting.WatchAsync(cluster.GrainFactory, job, Fast(notices));
        output.WriteLine($"killed {victim.SiloAddress} at {before.Done}/{before.SubCubes}, {lost} states lost; {string.Join(" | ", notices)}");
        Assert.Equal(expected, status.Count);
        Assert.Contains(notices, n => n.Contains("lost the count's plan", StringComparison.Ordinal));
        Assert.NotEqual(before.Host, status.Host);
    }

    [Fact]
    public async Task Killing_the_primary_silo_with_durable_storage_loses_nothing()
    {
        (CountJob job, long expected, _) = Job(lease: TimeSpan.FromSeconds(1));
        await using TestCluster cluster = await Start();
        string key = await ClusterCounting.SubmitAsync(cluster.GrainFactory, job);
        ICountCoordinatorGrain coordinator = cluster.GrainFactory.GetGrain<ICountCoordinatorGrain>(key);
        CountStatus before = await WaitUntil(coordinator, s => s.Done >= 10);
        SiloHandle primary = cluster.Primary ?? throw new InvalidOperationException("the test cluster has no primary silo");
        await cluster.KillSiloAsync(primary);
        CountStatus status = await ClusterCounting.WatchAsync(cluster.GrainFactory, job, Fast());
        output.WriteLine($"killed the primary {primary.SiloAddress} (coordinator there: {before.Host == primary.SiloAddress.ToString()}) at {before.Done}/{before.SubCubes}; finished on {status.Host}, lent again {status.Relent}, activations {status.Activations}");
        Assert.True(before.Done < before.SubCubes);
        Assert.Equal(expected, status.Count);
        Assert.NotEqual(primary.SiloAddress.ToString(), status.Host);
        // The coordinator restarted elsewhere if it was on the primary, and only then.
        Assert.Equal(before.Host == primary.SiloAddress.ToString() ? 2 : 1, status.Activations);
    }

    [Fact]
    public async Task A_silo_stopped_gracefully_gives_its_sub_cubes_back()
    {
        // A lease of 10 minutes: only a sub-cube given back is lent again before the count would stall.
        (CountJob job, long expected, _) = Job(lease: TimeSpan.FromMinutes(10));
        await using TestCluster cluster = await Start();
        string key = await ClusterCounting.SubmitAsync(cluster.GrainFactory, job);
        ICountCoordinatorGrain coordinator = cluster.GrainFactory.GetGrain<ICountCoordinatorGrain>(key);
        string host = (await coordinator.Status()).Host;
        SiloHandle victim = cluster.Silos.First(s => s.SiloAddress.ToString() != host && s != cluster.Primary);
        await WaitUntil(coordinator, s => s.Silos.Contains(victim.SiloAddress.ToString()));
        await cluster.StopSiloAsync(victim);
        CountStatus status = await ClusterCounting.WatchAsync(cluster.GrainFactory, job, Fast());
        output.WriteLine($"stopped {victim.SiloAddress}; given back {status.GivenBack}, lent again {status.Relent}");
        // The count finished exactly, and without waiting for a lease to expire (none was lent again): a sub-cube the
        // stopped silo held was given back. It holds one at most, and none when it stopped between two sub-cubes.
        Assert.Equal(expected, status.Count);
        Assert.InRange(status.GivenBack, 0, 1);
        Assert.Equal(0, status.Relent);
    }

    [Fact]
    public async Task A_cancelled_count_can_be_submitted_again_and_a_detached_watcher_leaves_it_running()
    {
        (CountJob job, long expected, _) = Job();
        await using TestCluster cluster = await Start();
        string key = await ClusterCounting.SubmitAsync(cluster.GrainFactory, job);
        ICountCoordinatorGrain coordinator = cluster.GrainFactory.GetGrain<ICountCoordinatorGrain>(key);
        // Detaching (the watcher's token cancelled) does not cancel the count.
        using (var detach = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ClusterCounting.WatchAsync(cluster.GrainFactory, job, Fast(), detach.Token));
        }

        Assert.False((await coordinator.Status()).Cancelled);
        CountStatus cancelled = await ClusterCounting.CancelAsync(cluster.GrainFactory, key);
        Assert.True(cancelled.Cancelled);
        Assert.False(cancelled.Finished, "cancelled mid-count");
        Assert.Null(await coordinator.Lease("a worker"));
        Assert.True((await ClusterCounting.WatchAsync(cluster.GrainFactory, key, Fast())).Cancelled);
        // Submitted again: the count resumes from the results it has and finishes exactly.
        Assert.Equal(key, await ClusterCounting.SubmitAsync(cluster.GrainFactory, job));
        CountStatus status = await ClusterCounting.WatchAsync(cluster.GrainFactory, job, Fast());
        Assert.False(status.Cancelled);
        Assert.Equal(expected, status.Count);
        Assert.True(status.Finished);
    }
}
