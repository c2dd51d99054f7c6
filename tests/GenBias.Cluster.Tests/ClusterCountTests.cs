using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace GenBias.Cluster.Tests;

/// <summary>
/// Three silos in one process count a 3^19 cube of a 25 → 16 → 1 network (the first six inputs fixed; 3^15 for the
/// duplicate report) and get exactly
/// the single-process count: undisturbed, with a silo killed mid-count, with the coordinator restarted from storage;
/// and a sub-cube reported twice is counted once.
/// </summary>
public sealed class ClusterCountTests(ITestOutputHelper output)
{
    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.Services.AddGrainStorage(ClusterCounting.StorageName, (sp, _) => new SharedGrainStorage(sp.GetRequiredService<Serializer>()));
            siloBuilder.AddGenBiasCounting(workers: 1, idlePoll: TimeSpan.FromMilliseconds(20));
        }
    }

    /// <summary>A 25 → 16 → 1 tanh network with random parameters, the first layer on the grid.</summary>
    private static ReferenceNetwork Network(int seed)
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

    /// <summary>The job and its count by one process, sub-cube by sub-cube through the same plan.</summary>
    private static (CountJob Job, long Expected, long SubCubes) Job(int seed, TimeSpan? lease = null, int fixedCount = 10, int splitDepth = 4)
    {
        ReferenceNetwork network = Network(seed);
        var preference = Preference.OutputAbove(0.3, 0.5);
        CountJob job = CountJob.For(network, preference, splitDepth, leafFreeInputs: 9, fixedInputs: Prefix[..fixedCount], leaseTime: lease);
        CountPlan plan = job.Build().Plan;
        long expected = Enumerable.Range(0, (int)plan.SubCubes).Sum(s => plan.CountSubCube(s).Count);
        Assert.Equal(plan.Cube, (long)Math.Pow(3, 25 - fixedCount));
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

    [Fact]
    public async Task Three_silos_count_exactly_what_one_process_counts()
    {
        // 3^19 inputs in 243 sub-cubes: at 2 ns per input a 3^15 count (81 sub-cubes) was over in 0.08 s, before the
        // other two silos had taken a sub-cube.
        (CountJob job, long expected, long subCubes) = Job(1, fixedCount: 6, splitDepth: 5);
        await using TestCluster cluster = await Start();
        string key = await ClusterCounting.SubmitAsync(cluster.GrainFactory, job);
        CountStatus status = await ClusterCounting.WatchAsync(cluster.GrainFactory, key, interval: TimeSpan.FromMilliseconds(50));
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
    public async Task A_silo_killed_mid_count_has_its_sub_cubes_counted_by_the_others()
    {
        // 3^19 inputs in 243 sub-cubes: long enough to kill a silo while it counts, even on a loaded machine (3^16 was
        // not, once the counting leaf ran at 2.5 ns per input: the others finished first now and then).
        (CountJob job, long expected, _) = Job(2, lease: TimeSpan.FromSeconds(1), fixedCount: 6, splitDepth: 5);
        await using TestCluster cluster = await Start();
        string key = await ClusterCounting.SubmitAsync(cluster.GrainFactory, job);
        ICountCoordinatorGrain coordinator = cluster.GrainFactory.GetGrain<ICountCoordinatorGrain>(key);
        SiloHandle victim = cluster.SecondarySilos[0];
        // Wait until the victim has counted something and the count is still running, then kill it (no goodbye).
        CountStatus before = await coordinator.Status();
        for (int i = 0; i < 2000 && !before.Silos.Contains(victim.SiloAddress.ToString()); i++)
        {
            await Task.Delay(5);
            before = await coordinator.Status();
        }

        Assert.Contains(victim.SiloAddress.ToString(), before.Silos);
        await cluster.KillSiloAsync(victim);
        CountStatus status = await ClusterCounting.WatchAsync(cluster.GrainFactory, key, interval: TimeSpan.FromMilliseconds(50));
        output.WriteLine($"killed {victim.SiloAddress} at {before.Done}/{before.SubCubes}; finished on {string.Join(", ", status.Silos)}; duplicates {status.Duplicates}");
        Assert.True(before.Done < before.SubCubes);
        Assert.True(status.Finished);
        Assert.Equal(expected, status.Count);
    }

    [Fact]
    public async Task A_restarted_coordinator_resumes_from_storage()
    {
        // 3^19 inputs in 243 sub-cubes, so that the restart lands mid-count.
        (CountJob job, long expected, _) = Job(3, fixedCount: 6, splitDepth: 5);
        await using TestCluster cluster = await Start();
        string key = await ClusterCounting.SubmitAsync(cluster.GrainFactory, job);
        ICountCoordinatorGrain coordinator = cluster.GrainFactory.GetGrain<ICountCoordinatorGrain>(key);
        CountStatus before = await coordinator.Status();
        for (int i = 0; i < 2000 && before.Done < 3; i++)
        {
            await Task.Delay(5);
            before = await coordinator.Status();
        }

        await coordinator.Deactivate();
        CountStatus after = await coordinator.Status();
        output.WriteLine($"deactivated at {before.Done}/{before.SubCubes}; reactivated with {after.Done}");
        Assert.True(before.Done > 0 && before.Done < before.SubCubes, $"restart at {before.Done}/{before.SubCubes}");
        // A coordinator that lost its state would know no job (no sub-cubes, nothing to lend) and start from zero.
        Assert.Equal(before.SubCubes, after.SubCubes);
        Assert.True(after.Done >= before.Done, "the results counted before the restart were restored");
        Assert.True(after.Elapsed >= before.Elapsed, "the submission time was restored");
        CountStatus status = await ClusterCounting.WatchAsync(cluster.GrainFactory, key, interval: TimeSpan.FromMilliseconds(50));
        Assert.Equal(expected, status.Count);
    }

    [Fact]
    public async Task A_sub_cube_reported_twice_is_counted_once()
    {
        (CountJob job, long expected, _) = Job(4);
        await using TestCluster cluster = await Start();
        string key = await ClusterCounting.SubmitAsync(cluster.GrainFactory, job);
        CountStatus finished = await ClusterCounting.WatchAsync(cluster.GrainFactory, key, interval: TimeSpan.FromMilliseconds(50));
        ICountCoordinatorGrain coordinator = cluster.GrainFactory.GetGrain<ICountCoordinatorGrain>(key);
        // A late worker reports sub-cube 5 again (even with another number): ignored, counted once.
        Assert.False(await coordinator.Report(5, 123_456, 0, "a late worker"));
        CountStatus status = await coordinator.Status();
        Assert.Equal(expected, finished.Count);
        Assert.Equal(expected, status.Count);
        Assert.Equal(finished.Duplicates + 1, status.Duplicates);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => coordinator.Report(status.SubCubes, 0, 0, "x"));
    }
}
