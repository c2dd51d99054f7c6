using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using GenBias.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;

/// <summary>
/// <c>ClusterCount throughput</c>: how many reports per second a count's coordinator takes, against the split depth.
/// Silos start in this process (memory storage, no counting loops); client loops lease a sub-cube and report it at
/// once, without counting, as fast as the coordinator answers. The counts these reports carry are not counts: nothing
/// is printed but the rates, and the silos stop with the process.
/// </summary>
internal static class Throughput
{
    public static async Task<int> Run(Dictionary<string, string?> options, LoadedJob loaded, TextWriter output)
    {
        int[] splits = Cli.IntegerList(options, "--splits", [6, 8, 9, 10], 1, Math.Min(ClusterCounting.MaxSplitDepth, loaded.FreeInputs - 2));
        int loops = Cli.Integer(options, "--loops", 6, 1, 256);
        int silos = Cli.Integer(options, "--silos", 3, 1, 16);
        int rounds = Cli.Integer(options, "--rounds", 2, 1, 3);
        int basePort = Cli.Integer(options, "--port", 21111, 1024, 65000);
        string cluster = $"throughput-{Environment.ProcessId}";
        var hosts = new List<IHost>();
        try
        {
            for (int i = 0; i < silos; i++)
            {
                int siloPort = basePort + i, gatewayPort = basePort + 100 + i;
                if (Cli.InUse(siloPort) || Cli.InUse(gatewayPort))
                {
                    throw new ArgumentException($"port {siloPort} or {gatewayPort} is in use; give another --port");
                }

                IHost host = new HostBuilder()
                    .ConfigureLogging(logging => Cli.Quiet(logging, options.ContainsKey("--verbose")))
                    .UseOrleans(silo =>
                    {
                        silo.Configure<ClusterOptions>(o => { o.ClusterId = cluster; o.ServiceId = cluster; });
                        silo.UseLocalhostClustering(siloPort, gatewayPort, new IPEndPoint(IPAddress.Loopback, basePort), cluster, cluster);
                        silo.AddMemoryGrainStorage(ClusterCounting.StorageName);
                        silo.UseMembershipForFewSilos();
                    })
                    .Build();
                await host.StartAsync();
                hosts.Add(host);
            }

            using IHost client = new HostBuilder()
                .ConfigureLogging(logging => Cli.Quiet(logging, options.ContainsKey("--verbose")))
                .UseOrleansClient(c => c.UseLocalhostClustering([.. Enumerable.Range(basePort + 100, silos)], cluster, cluster))
                .Build();
            await client.StartAsync();
            IGrainFactory grains = client.Services.GetRequiredService<IClusterClient>();
            output.WriteLine($"{silos} silo(s) in this process (memory storage), {loops} client loops leasing and reporting without counting; load average {Load()}");
            output.WriteLine();
            output.WriteLine("| split | sub-cubes | round | reports per second, whole count | first quarter | last quarter |");
            output.WriteLine("|---|---|---|---|---|---|");

            // A warm-up count first (not reported, two more inputs fixed): the first thousands of calls run code the JIT
            // has not optimised yet. Round 1 can still be slower than round 2 where the JIT is slow to catch up.
            if (Math.Min(8, loaded.FreeInputs - 3) is int warmUp and >= 1)
            {
                await Measure(grains, loaded.Job(warmUp, [1, 1]), loops);
            }

            for (int round = 0; round < rounds; round++)
            {
                foreach (int split in splits)
                {
                    // Another value of one more fixed input makes another plan (a plan counted once is done).
                    (double whole, double first, double last, long subCubes) = await Measure(grains, loaded.Job(split, [(sbyte)(round - 1)]), loops);
                    output.WriteLine($"| {split} | {subCubes:N0} | {round + 1} | {whole:N0} | {first:N0} | {last:N0} |");
                }
            }

            output.WriteLine();
            output.WriteLine($"load average after: {Load()}");
            await client.StopAsync();
            return Cli.Done;
        }
        finally
        {
            foreach (IHost host in Enumerable.Reverse(hosts))
            {
                await host.StopAsync(TimeSpan.FromSeconds(5));
                host.Dispose();
            }
        }
    }

    /// <summary>Submits <paramref name="job"/> and reports every sub-cube from <paramref name="loops"/> loops; rates per second.</summary>
    private static async Task<(double Whole, double First, double Last, long SubCubes)> Measure(IGrainFactory grains, CountJob job, int loops)
    {
        string key = await ClusterCounting.SubmitAsync(grains, job);
        ICountCoordinatorGrain coordinator = grains.GetGrain<ICountCoordinatorGrain>(key);
        long subCubes = job.Build().Plan.SubCubes;
        var times = new long[subCubes];
        long reported = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, loops).Select(loop => Task.Run(async () =>
        {
            string worker = $"throughput#{loop}";
            while (await coordinator.Lease(worker) is SubCubeLease lease)
            {
                if (await coordinator.Report(lease.SubCube, 0, 0, worker))
                {
                    times[Interlocked.Increment(ref reported) - 1] = clock.ElapsedTicks;
                }
            }
        })));
        if (reported != subCubes)
        {
            throw new InvalidOperationException($"{reported:N0} of {subCubes:N0} sub-cubes were reported");
        }

        double seconds = clock.Elapsed.TotalSeconds;
        long quarter = Math.Max(1, subCubes / 4);
        double Rate(long from, long to) => (to - from) / ((double)(times[to - 1] - (from == 0 ? 0 : times[from - 1])) / Stopwatch.Frequency);
        return (subCubes / seconds, Rate(0, quarter), Rate(subCubes - quarter, subCubes), subCubes);
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
