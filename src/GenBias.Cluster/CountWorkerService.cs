using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace GenBias.Cluster;

/// <summary>How many counting loops a silo runs.</summary>
internal sealed class CountWorkerOptions
{
    public int Workers { get; init; } = 1;

    public TimeSpan IdlePoll { get; init; } = TimeSpan.FromMilliseconds(200);
}

/// <summary>
/// The counting loops of one silo: find the counts in progress, lease a sub-cube, count it, report it. A silo that
/// stops gives back the sub-cubes it is counting; one that dies leaves its leases to expire.
/// </summary>
internal sealed class CountWorkerService(IGrainFactory grains, ILocalSiloDetails silo, CountWorkerOptions options, ILogger<CountWorkerService> logger)
    : BackgroundService
{
    /// <summary>The least time between two warnings of one loop; the ones in between are counted, not printed.</summary>
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Task<CountPlan?>> _plans = new();

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = new Task[options.Workers];
        for (int i = 0; i < loops.Length; i++)
        {
            int index = i;
            loops[i] = Task.Run(() => Loop(index, stoppingToken), CancellationToken.None);
        }

        return Task.WhenAll(loops);
    }

    private async Task Loop(int index, CancellationToken stoppingToken)
    {
        string worker = $"{silo.SiloAddress}#{index}";
        string siloName = silo.SiloAddress.ToString();
        var sinceWarning = Stopwatch.StartNew();
        int quiet = 0;
        bool warned = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            bool worked = false;
            try
            {
                foreach (string key in await grains.GetGrain<ICountRegistryGrain>(0).Active())
                {
                    ICountCoordinatorGrain coordinator = grains.GetGrain<ICountCoordinatorGrain>(key);
                    SubCubeLease? lease = await coordinator.Lease(worker);
                    if (lease is null)
                    {
                        continue;
                    }

                    CountPlan? plan = await Plan(key, coordinator);
                    if (plan is null)
                    {
                        continue;
                    }

                    var clock = Stopwatch.StartNew();
                    (long count, long decided) result;
                    try
                    {
                        result = plan.CountSubCube(lease.SubCube, stoppingToken);
                    }
                    catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                    {
                        // The silo is stopping: lend the sub-cube to another worker now rather than after the lease time.
                        await GiveBack(coordinator, lease.SubCube, worker);
                        return;
                    }

                    await Report(coordinator, lease.SubCube, result, siloName, clock.Elapsed.TotalSeconds, stoppingToken);
                    logger.LogDebug("{Worker} counted sub-cube {SubCube} of {Key} in {Elapsed}", worker, lease.SubCube, key, clock.Elapsed);
                    worked = true;
                    break;
                }

                if (warned)
                {
                    logger.LogInformation("{Worker}: calls to the counts work again", worker);
                    warned = false;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // A coordinator moving between silos, a silo leaving, the primary gone: the lease expires and another
                // worker takes the sub-cube. One line per loop and interval, not a stack trace per poll.
                logger.LogDebug(e, "{Worker}: a count call failed", worker);
                if (!warned || sinceWarning.Elapsed >= WarningInterval)
                {
                    logger.LogWarning("{Worker}: a count call failed ({Failure}){Quiet}; retrying", worker, ClusterCounting.Describe(e),
                        quiet > 0 ? $", {quiet} more failures since the last warning" : "");
                    sinceWarning.Restart();
                    quiet = 0;
                    warned = true;
                }
                else
                {
                    quiet++;
                }
            }

            if (!worked)
            {
                try
                {
                    await Task.Delay(options.IdlePoll, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The plan of count <paramref name="key"/>, built once per silo from the job (null when the coordinator has none).</summary>
    private async Task<CountPlan?> Plan(string key, ICountCoordinatorGrain coordinator)
    {
        Task<CountPlan?> plan = _plans.GetOrAdd(key, _ => Build(coordinator));
        try
        {
            CountPlan? built = await plan;
            if (built is null)
            {
                _plans.TryRemove(key, out _);
            }

            return built;
        }
        catch
        {
            _plans.TryRemove(key, out _);
            throw;
        }
    }

    private static async Task<CountPlan?> Build(ICountCoordinatorGrain coordinator) =>
        await coordinator.Job() is CountJob job ? job.Build().Plan : null;

    /// <summary>Reports a result, retrying twice on a transient failure: a result costs a sub-cube's time to make again.</summary>
    private static async Task Report(ICountCoordinatorGrain coordinator, long subCube, (long Count, long Decided) result, string silo, double seconds, CancellationToken stoppingToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await coordinator.Report(subCube, result.Count, result.Decided, silo, seconds);
                return;
            }
            catch (Exception e) when (attempt < 3 && ClusterCounting.IsTransient(e))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), stoppingToken);
            }
        }
    }

    private async Task GiveBack(ICountCoordinatorGrain coordinator, long subCube, string worker)
    {
        try
        {
            await coordinator.GiveBack(subCube, worker).WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (ClusterCounting.IsTransient(e))
        {
            logger.LogDebug(e, "{Worker}: sub-cube {SubCube} could not be given back; its lease expires", worker, subCube);
        }
    }
}
