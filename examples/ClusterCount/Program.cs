using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using GenBias;
using GenBias.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;

// An exact count spread over an Orleans cluster: `silo` runs one silo, `count` submits a count, watches it and prints
// its certificate. `ClusterCount --help` lists the options.
return await Cli.Run(args, Console.Out, Console.Error);

/// <summary>The command line: parsing, the silo and the client.</summary>
internal static class Cli
{
    public const int Done = 0, NotDone = 1, BadInput = 2, Stalled = 3, Detached = 130;

    private static readonly string[] SiloOptions = ["--index", "--workers", "--silo-port", "--gateway-port", "--primary-port", "--cluster", "--connection", "--cluster-id", "--service-id", "--verbose"];
    private static readonly string[] CountOptions = ["--model", "--preference", "--split", "--leaf", "--fix", "--lease", "--local", "--silos", "--gateway-port", "--cluster", "--connection", "--cluster-id", "--service-id", "--timeout", "--stall", "--detach", "--cancel", "--verbose"];
    private static readonly string[] ThroughputOptions = ["--model", "--preference", "--fix", "--leaf", "--splits", "--loops", "--silos", "--rounds", "--port", "--verbose"];
    private static readonly string[] Flags = ["--local", "--detach", "--cancel", "--verbose"];

    public const string Help = """
        ClusterCount: an exact GenBias count spread over a Microsoft Orleans cluster.

          ClusterCount silo  [options]    run one silo until Ctrl+C or SIGTERM (a graceful stop: the sub-cubes it is
                                          counting are given back; exit 0). Membership is set for a few silos: a
                                          dead silo is declared dead in seconds, even when two of three die together
          ClusterCount count [options]    submit a count, watch it, print its certificate
          ClusterCount throughput [options]
                                          how many reports per second a coordinator takes against the split
                                          depth: silos in this process (memory storage), client loops that lease
                                          and report sub-cubes without counting them
          ClusterCount --help             this text

        silo:
          --index i            silo number on this machine (default 0): silo port 11111+i, client port 30000+i
          --workers n          counting loops (default: one per core)
          --silo-port p        silo-to-silo port (default 11111+index); a port in use is refused
          --gateway-port p     client port (default 30000+index); a port in use is refused
          --primary-port p     localhost clustering: the primary silo's silo port (default 11111)
          --cluster kind       localhost (default; development: one machine, membership and memory storage on
                               the silos, the primary is a single point of failure) or adonet (PostgreSQL)
          --connection "…"     adonet: the connection string (Host=…;Database=…;Username=…;Password=…)
          --cluster-id id      silos and clients of one cluster share it (default genbias)
          --service-id id      names the stored state (default genbias-counts)
          --verbose            Orleans' own warnings too

        count:
          --model file.json    the model file (required)
          --preference k       which of its preferences (default 0)
          --split d            3^d sub-cubes, the unit lent to a worker: 0 to 12 and fewer than the inputs
                               counted (default 6)
          --leaf n             inputs enumerated per leaf, 5 to 20 (default 9)
          --fix 1,0,-1         values of the first inputs, held fixed
          --lease s            seconds a worker may hold a sub-cube (default: ten times the mean sub-cube time,
                               2 s to 5 minutes, 30 s until the first result)
          --silos n            localhost: gateways on ports --gateway-port … +n−1 (default 3, from 30000)
          --cluster, --connection, --cluster-id, --service-id    as for silo
          --timeout s          give up when no silo answers for s seconds (default 30)
          --stall s            give up when the cluster answers but counts no sub-cube for s seconds, or twice
                               the lease time if longer (default 120); the message says what is missing
          --detach             submit and exit; the same command without --detach watches it again
          --cancel             cancel this plan's count (its results stay: submitting it again resumes it)
          --local              count the same plan in this process instead, on every core

        throughput:
          --model, --preference, --fix, --leaf    as for count (the plans; one more input is held fixed per round)
          --splits 6,8,9,10    the split depths measured (default 6,8,9,10)
          --loops n            client loops leasing and reporting at once (default 6)
          --silos n            silos started in this process (default 3)
          --rounds n           rounds over the split depths, 1 to 3 (default 2)
          --port p             silo ports p…, client ports p+100… (default 21111)

        Ctrl+C or SIGTERM while a count is watched detaches: the count goes on, and the same command re-attaches.
        Exit codes: 0 done (or detached by SIGTERM, as a service manager stops it), 1 not done (no silo answered,
        the count was cancelled), 2 bad input, 3 stalled (the cluster answers but counts nothing), 130 detached by
        Ctrl+C.

        Example (three terminals, then a fourth):
          ClusterCount silo --index 0 --workers 1
          ClusterCount silo --index 1 --workers 1
          ClusterCount silo --index 2 --workers 1
          ClusterCount count --model model.json --split 4 --fix 1,0,-1,1,0,-1,1,0,-1 --silos 3
        """;

    public static async Task<int> Run(string[] args, TextWriter output, TextWriter error)
    {
        try
        {
            string? command = args.FirstOrDefault();
            if (command is null or "--help" or "-h" or "help" || args.Contains("--help") || args.Contains("-h"))
            {
                output.WriteLine(Help);
                return command is null ? BadInput : Done;
            }

            return command switch
            {
                "silo" => await Silo(Parse(args, SiloOptions), output, error),
                "count" => await Count(Parse(args, CountOptions), output, error),
                "throughput" => await Throughput.Run(Parse(args, ThroughputOptions), await LoadedJob.Read(Parse(args, ThroughputOptions), "throughput"), output),
                _ => throw new ArgumentException($"unknown command '{command}'; give silo or count (ClusterCount --help lists the options)"),
            };
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"ClusterCount: {e.Message}");
            return BadInput;
        }
    }

    /// <summary>The options after the command, each known to it, none twice; values checked by the readers below.</summary>
    internal static Dictionary<string, string?> Parse(string[] args, string[] known)
    {
        var options = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (int i = 1; i < args.Length; i++)
        {
            string name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"'{name}' is not an option of {args[0]} (options start with --; ClusterCount --help lists them)");
            }

            if (!known.Contains(name))
            {
                throw new ArgumentException($"{args[0]} has no option {name} (ClusterCount --help lists its options)");
            }

            string? value = null;
            if (!Flags.Contains(name))
            {
                value = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                    ? args[++i]
                    : throw new ArgumentException($"{name} needs a value");
            }

            if (!options.TryAdd(name, value))
            {
                throw new ArgumentException($"{name} is given twice");
            }
        }

        return options;
    }

    // The cluster a silo joins or a client asks, the same options for both: clustering, ids, and the database for ADO.NET.
    private static (string Cluster, string ClusterId, string ServiceId, string? Connection) Membership(Dictionary<string, string?> options)
    {
        string cluster = Text(options, "--cluster", "localhost");
        string? connection = cluster switch
        {
            "localhost" => null,
            "adonet" => options.TryGetValue("--connection", out string? c) && c is not null ? c : throw new ArgumentException("--cluster adonet needs --connection \"Host=…;Database=…;Username=…;Password=…\""),
            _ => throw new ArgumentException($"--cluster is '{cluster}'; give localhost or adonet"),
        };
        return (cluster, Text(options, "--cluster-id", "genbias"), Text(options, "--service-id", "genbias-counts"), connection);
    }

    internal static int Integer(Dictionary<string, string?> options, string name, int fallback, int min, int max, string? why = null)
    {
        if (!options.TryGetValue(name, out string? text))
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"{name} is '{text}'; give a whole number from {min} to {max}{why}");
    }

    /// <summary>A comma-separated list of whole numbers, each from <paramref name="min"/> to <paramref name="max"/>.</summary>
    internal static int[] IntegerList(Dictionary<string, string?> options, string name, int[] fallback, int min, int max) =>
        !options.TryGetValue(name, out string? text) ? fallback
        : text!.Split(',', StringSplitOptions.TrimEntries).Select(t => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max
            ? v : throw new ArgumentException($"{name} holds '{t}'; give whole numbers from {min} to {max}, separated by commas")).ToArray();

    internal static string Text(Dictionary<string, string?> options, string name, string fallback) =>
        options.TryGetValue(name, out string? value) ? value! : fallback;

    private static async Task<int> Silo(Dictionary<string, string?> options, TextWriter output, TextWriter error)
    {
        int index = Integer(options, "--index", 0, 0, 99);
        int workers = Integer(options, "--workers", Environment.ProcessorCount, 1, 1024);
        int siloPort = Integer(options, "--silo-port", 11111 + index, 1, 65535);
        int gatewayPort = Integer(options, "--gateway-port", 30000 + index, 1, 65535);
        int primaryPort = Integer(options, "--primary-port", 11111, 1, 65535);
        (string cluster, string clusterId, string serviceId, string? connection) = Membership(options);
        if (siloPort == gatewayPort)
        {
            throw new ArgumentException($"--silo-port and --gateway-port are both {siloPort}");
        }

        foreach ((int port, string what) in new[] { (siloPort, "silo"), (gatewayPort, "gateway") })
        {
            if (InUse(port))
            {
                error.WriteLine($"ClusterCount: the {what} port {port} is in use (another silo with --index {index}, or another program); give another --index or --{what}-port");
                return BadInput;
            }
        }

        IHost host = Host.CreateDefaultBuilder([])
            .ConfigureLogging(logging => Quiet(logging, options.ContainsKey("--verbose")))
            // A graceful stop (its sub-cubes given back, its membership row marked dead) within 4 s, or what is left of
            // it cut short: service managers wait a few seconds before SIGKILL.
            .ConfigureServices(services => services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(4)))
            .UseOrleans(silo =>
            {
                silo.Configure<ClusterOptions>(o => { o.ClusterId = clusterId; o.ServiceId = serviceId; });
                if (connection is null)
                {
                    silo.UseLocalhostClustering(siloPort, gatewayPort, new IPEndPoint(IPAddress.Loopback, primaryPort), serviceId, clusterId);
                    // One machine: the count state lives in the silos' memory, spread over them: see the README for
                    // what each loss costs. Across machines use --cluster adonet, which keeps it in the database.
                    silo.AddMemoryGrainStorage(ClusterCounting.StorageName);
                }
                else
                {
                    silo.ConfigureEndpoints(siloPort, gatewayPort);
                    silo.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = connection; });
                    silo.AddAdoNetGrainStorage(ClusterCounting.StorageName, o => { o.Invariant = "Npgsql"; o.ConnectionString = connection; });
                }

                silo.AddGenBiasCounting(workers);
                silo.UseMembershipForFewSilos();
            })
            .Build();
        IHostApplicationLifetime lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var stopping = new System.Diagnostics.Stopwatch();
        lifetime.ApplicationStopping.Register(() =>
        {
            stopping.Start();
            output.WriteLine($"silo {index} stopping: giving back the sub-cubes it is counting");
        });
        try
        {
            await host.StartAsync();
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // SIGTERM or Ctrl+C while the silo was still joining the cluster: nothing to hand over.
            host.Dispose();
            output.WriteLine($"silo {index} stopped before it had joined the cluster");
            return Done;
        }

        output.WriteLine($"silo {index} up (cluster {clusterId}, {cluster}, ports {siloPort}/{gatewayPort}, {workers} counting loop{(workers == 1 ? "" : "s")}); Ctrl+C or SIGTERM stops it");
        await host.WaitForShutdownAsync();
        host.Dispose();
        output.WriteLine($"silo {index} stopped ({stopping.Elapsed.TotalSeconds:F1} s after the stop was asked)");
        return Done;
    }

    /// <summary>Whether something listens on <paramref name="port"/> already (Orleans would not always say so).</summary>
    internal static bool InUse(int port)
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.Any, port));
            probe.Listen();
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    internal static void Quiet(ILoggingBuilder logging, bool verbose)
    {
        logging.SetMinimumLevel(LogLevel.Warning);
        if (!verbose)
        {
            // Orleans logs every failed connection with its stack trace; the silo's own lines say what matters.
            logging.AddFilter("Orleans", LogLevel.Error);
            logging.AddFilter("Microsoft.Orleans", LogLevel.Error);
        }
    }

    private static async Task<int> Count(Dictionary<string, string?> options, TextWriter output, TextWriter error)
    {
        LoadedJob loaded = await LoadedJob.Read(options, "count");
        int maxSplit = Math.Min(ClusterCounting.MaxSplitDepth, loaded.FreeInputs - 1);
        int split = Integer(options, "--split", Math.Min(6, maxSplit), 0, maxSplit,
            $" (3^d sub-cubes: at most 3^{ClusterCounting.MaxSplitDepth} for a cluster count, and fewer than the {loaded.FreeInputs} inputs counted)");
        CountJob job = loaded.Job(split, []) with
        {
            LeaseTime = options.ContainsKey("--lease") ? TimeSpan.FromSeconds(Integer(options, "--lease", 0, 1, 86400)) : null,
        };
        (_, _, CountPlan plan) = job.Build();
        int timeout = Integer(options, "--timeout", 30, 1, 3600);
        int stall = Integer(options, "--stall", 120, 1, 86400);
        int silos = Integer(options, "--silos", 3, 1, 100);
        int gatewayPort = Integer(options, "--gateway-port", 30000, 1, 65535 - silos);
        (string cluster, string clusterId, string serviceId, string? connection) = Membership(options);
        if (options.ContainsKey("--local"))
        {
            // The same plan in this process, on every core: the single-machine number to compare with.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long total = 0;
            Parallel.For(0L, plan.SubCubes, () => 0L, (s, _, sum) => sum + plan.CountSubCube(s).Count, sum => Interlocked.Add(ref total, sum));
            output.WriteLine($"one process, {Environment.ProcessorCount} threads: {total:N0} of {plan.Total:N0} = {(double)total / plan.Total:P4} in {clock.Elapsed.TotalSeconds:F1} s");
            return Done;
        }

        string where = connection is null
            ? $"localhost gateways {gatewayPort}–{gatewayPort + silos - 1} (cluster {clusterId})"
            : $"the ADO.NET cluster {clusterId}";
        using IHost client = new HostBuilder()
            .ConfigureLogging(logging => Quiet(logging, options.ContainsKey("--verbose")))
            .UseOrleansClient(c =>
            {
                c.Configure<ClusterOptions>(o => { o.ClusterId = clusterId; o.ServiceId = serviceId; });
                if (connection is not null)
                {
                    c.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = connection; });
                }
                else
                {
                    c.UseLocalhostClustering([.. Enumerable.Range(gatewayPort, silos)], serviceId, clusterId);
                }

                // Keep trying to reach a gateway until --timeout, then say so (instead of minutes of stack traces).
                c.UseConnectionRetryFilter(async (_, token) => { await Task.Delay(TimeSpan.FromSeconds(1), token); return true; });
            })
            .Build();
        using var stop = new CancellationTokenSource();
        bool terminated = false;
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
        Console.CancelKeyPress += onCancel;
        // SIGTERM is how a service manager stops a process: detach and exit 0. Ctrl+C detaches with 130, as shells expect.
        using PosixSignalRegistration onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; terminated = true; stop.Cancel(); });
        try
        {
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(stop.Token))
            {
                connect.CancelAfter(TimeSpan.FromSeconds(timeout));
                try
                {
                    await client.StartAsync(connect.Token);
                }
                catch (Exception e) when (!stop.IsCancellationRequested && (e is OperationCanceledException || ClusterCounting.IsTransient(e)))
                {
                    error.WriteLine($"ClusterCount: no silo answered at {where} within {timeout} s. Start the silos first (ClusterCount silo --index 0 …), or check --silos, --gateway-port and --cluster-id.");
                    return NotDone;
                }
            }

            IGrainFactory grains = client.Services.GetRequiredService<IClusterClient>();
            string key = CountJob.KeyOf(plan);
            if (options.ContainsKey("--cancel"))
            {
                CountStatus cancelled = await ClusterCounting.CancelAsync(grains, key).WaitAsync(TimeSpan.FromSeconds(timeout), stop.Token);
                output.WriteLine(!cancelled.Known ? $"count {key} is unknown to the cluster: nothing to cancel"
                    : cancelled.Finished ? $"count {key} has finished: nothing to cancel (the same command without --cancel prints its certificate)"
                    : $"count {key} cancelled at {cancelled.Done:N0}/{cancelled.SubCubes:N0} sub-cubes; its results stay: the same command without --cancel resumes it");
                return Done;
            }

            await ClusterCounting.SubmitAsync(grains, job).WaitAsync(TimeSpan.FromSeconds(timeout), stop.Token);
            output.WriteLine($"count {key}: {loaded.Model.Shape}, preference {loaded.Model.Preferences[loaded.PreferenceIndex]}, {plan.SubCubes:N0} sub-cubes");
            if (options.ContainsKey("--detach"))
            {
                output.WriteLine("submitted; the count goes on. The same command without --detach watches it, with --cancel cancels it.");
                return Done;
            }

            DateTime last = DateTime.MinValue;
            CountStatus? latest = null;
            var watch = new CountWatchOptions
            {
                Interval = TimeSpan.FromMilliseconds(250),
                GiveUpAfter = TimeSpan.FromSeconds(timeout),
                StallAfter = TimeSpan.FromSeconds(stall),
                Notice = notice => output.WriteLine($"  {notice}"),
                Progress = new SynchronousProgress(s =>
                {
                    latest = s;
                    if (DateTime.UtcNow - last >= TimeSpan.FromSeconds(5) || s.Finished)
                    {
                        last = DateTime.UtcNow;
                        output.WriteLine($"  {s}");
                    }
                }),
            };
            CountStatus status;
            try
            {
                status = await ClusterCounting.WatchAsync(grains, job, watch, stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                output.WriteLine($"detached at {latest?.Done ?? 0:N0}/{plan.SubCubes:N0} sub-cubes{(terminated ? " (SIGTERM)" : "")}; the count goes on. The same command watches it again, with --cancel cancels it.");
                return terminated ? Done : Detached;
            }
            catch (TimeoutException e)
            {
                error.WriteLine($"ClusterCount: {e.Message}");
                return NotDone;
            }
            catch (CountStalledException e)
            {
                error.WriteLine($"ClusterCount: {e.Message}");
                return Stalled;
            }

            if (!status.Finished)
            {
                error.WriteLine($"ClusterCount: count {key} was cancelled at {status.Done:N0}/{status.SubCubes:N0} sub-cubes; the same command resumes it.");
                return NotDone;
            }

            output.WriteLine(ClusterCounting.ToCertificate(job, status));
            return Done;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            output.WriteLine("interrupted before the count was submitted or cancelled; nothing changed on the cluster that the same command cannot pick up.");
            return terminated ? Done : Detached;
        }
        catch (TimeoutException)
        {
            error.WriteLine($"ClusterCount: the cluster at {where} did not answer within {timeout} s.");
            return NotDone;
        }
        catch (Exception e) when (e is not OperationCanceledException and not ArgumentException)
        {
            // A call the cluster failed (its storage refused a write, say): one line, not a stack trace.
            error.WriteLine($"ClusterCount: the cluster at {where} failed the call: {e.GetType().Name}: {e.Message.Split('\n')[0].Trim()}");
            return NotDone;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            try
            {
                await client.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
            }
            catch (Exception e) when (e is OperationCanceledException || ClusterCounting.IsTransient(e))
            {
                // Leaving: a client that cannot say goodbye changes nothing on the cluster.
            }
        }
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool, so lines could come out of order).</summary>
    private sealed class SynchronousProgress(Action<CountStatus> report) : IProgress<CountStatus>
    {
        public void Report(CountStatus value) => report(value);
    }
}
