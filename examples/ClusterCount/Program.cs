using System;
using System.IO;
using System.Linq;
using System.Net;
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

// An exact count spread over an Orleans cluster.
//   silo  [--index i] [--workers n] [--cluster localhost|adonet] [--connection "…"]     run one silo (until Ctrl+C)
//   count --model file.json [--preference 0] [--split 6] [--leaf 9] [--fix 1,-1,0] [--lease seconds] [--local]
//         [--silos 3 | --cluster adonet --connection "…"]                               submit, watch, certify
// Localhost clustering: silo i listens on 11111 + i (silo to silo) and 30000 + i (clients); silo 0 is the primary.
// ADO.NET: membership and count state in PostgreSQL (Npgsql), the tables created by Orleans' SQL scripts.
return await Cli.Run(args);

internal static class Cli
{
    public static async Task<int> Run(string[] args)
    {
        try
        {
            return args.FirstOrDefault() switch
            {
                "silo" => await Silo(args),
                "count" => await Count(args),
                _ => Usage("give a command: silo or count"),
            };
        }
        catch (ArgumentException e)
        {
            return Usage(e.Message);
        }
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine($"ClusterCount: {problem}");
        Console.Error.WriteLine("  silo  [--index i] [--workers n] [--cluster localhost|adonet] [--connection \"…\"]");
        Console.Error.WriteLine("  count --model file.json [--preference 0] [--split 6] [--leaf 9] [--fix 1,-1,0] [--lease 300] [--silos 3 | --cluster adonet --connection \"…\"]");
        return 2;
    }

    private static string? Option(string[] args, string name)
    {
        int at = Array.IndexOf(args, name);
        if (at < 0)
        {
            return null;
        }

        return at + 1 < args.Length ? args[at + 1] : throw new ArgumentException($"{name} needs a value");
    }

    private static int Integer(string[] args, string name, int fallback, int min, int max)
    {
        string? text = Option(args, name);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, out int value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"{name} is '{text}'; give a whole number from {min} to {max}");
    }

    private static async Task<int> Silo(string[] args)
    {
        int index = Integer(args, "--index", 0, 0, 99);
        int workers = Integer(args, "--workers", Environment.ProcessorCount, 1, 1024);
        string cluster = Option(args, "--cluster") ?? "localhost";
        IHost host = Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .UseOrleans(silo =>
            {
                Configure(silo, cluster, Option(args, "--connection"), index);
                silo.AddGenBiasCounting(workers);
            })
            .Build();
        await host.StartAsync();
        Console.WriteLine($"silo {index} up ({cluster}, {workers} counting loop{(workers == 1 ? "" : "s")}); Ctrl+C stops it");
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await host.StopAsync();
        return 0;
    }

    private static void Configure(ISiloBuilder silo, string cluster, string? connection, int index)
    {
        silo.Configure<ClusterOptions>(o => { o.ClusterId = "genbias"; o.ServiceId = "genbias-counts"; });
        if (cluster == "localhost")
        {
            silo.UseLocalhostClustering(siloPort: 11111 + index, gatewayPort: 30000 + index,
                primarySiloEndpoint: new IPEndPoint(IPAddress.Loopback, 11111));
            // One machine: the count state lives in the silos' memory (a restarted coordinator finds it while the
            // silo that holds it lives); across machines use --cluster adonet, which keeps it in the database.
            silo.AddMemoryGrainStorage(ClusterCounting.StorageName);
        }
        else if (cluster == "adonet")
        {
            string db = connection ?? throw new ArgumentException("--cluster adonet needs --connection \"Host=…;Database=…;Username=…;Password=…\"");
            silo.ConfigureEndpoints(siloPort: 11111 + index, gatewayPort: 30000 + index);
            silo.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = db; });
            silo.AddAdoNetGrainStorage(ClusterCounting.StorageName, o => { o.Invariant = "Npgsql"; o.ConnectionString = db; });
        }
        else
        {
            throw new ArgumentException($"--cluster is '{cluster}'; give localhost or adonet");
        }
    }

    private static async Task<int> Count(string[] args)
    {
        string model = Option(args, "--model") ?? throw new ArgumentException("count needs --model file.json");
        if (!File.Exists(model))
        {
            throw new ArgumentException($"{model} does not exist");
        }

        byte[] bytes = await File.ReadAllBytesAsync(model);
        LoadedModel loaded = ModelFile.Read(bytes, model);
        int preferenceIndex = Integer(args, "--preference", 0, 0, Math.Max(0, loaded.Preferences.Count - 1));
        if (loaded.Preferences.Count == 0)
        {
            throw new ArgumentException($"{model} declares no preference to count");
        }

        sbyte[] fixedInputs = (Option(args, "--fix") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => sbyte.TryParse(t, out sbyte v) && v is >= -1 and <= 1 ? v : throw new ArgumentException($"--fix holds '{t}'; inputs are -1, 0 or 1"))
            .ToArray();
        var job = new CountJob
        {
            Model = bytes, PreferenceIndex = preferenceIndex, SplitDepth = Integer(args, "--split", 6, 0, 20),
            LeafFreeInputs = Integer(args, "--leaf", 9, 5, 20), FixedInputs = fixedInputs,
            LeaseTime = TimeSpan.FromSeconds(Integer(args, "--lease", 300, 1, 86400)),
        };
        if (args.Contains("--local"))
        {
            // The same plan in this process, on every core: the single-machine number to compare with.
            (_, _, CountPlan plan) = job.Build();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long total = 0;
            System.Threading.Tasks.Parallel.For(0L, plan.SubCubes, () => 0L, (s, _, sum) => sum + plan.CountSubCube(s).Count,
                sum => Interlocked.Add(ref total, sum));
            Console.WriteLine($"one process, {Environment.ProcessorCount} threads: {total:N0} of {plan.Total:N0} = {(double)total / plan.Total:P4} in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        }

        int silos = Integer(args, "--silos", 3, 1, 100);
        string cluster = Option(args, "--cluster") ?? "localhost";
        string? connection = Option(args, "--connection");
        IHost client = Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .UseOrleansClient(c =>
            {
                c.Configure<ClusterOptions>(o => { o.ClusterId = "genbias"; o.ServiceId = "genbias-counts"; });
                if (cluster == "adonet")
                {
                    c.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = connection ?? throw new ArgumentException("--cluster adonet needs --connection"); });
                }
                else
                {
                    c.UseLocalhostClustering([.. Enumerable.Range(0, silos).Select(i => 30000 + i)]);
                }
            })
            .Build();
        await client.StartAsync();
        IGrainFactory grains = client.Services.GetRequiredService<IClusterClient>();
        string key = await ClusterCounting.SubmitAsync(grains, job);
        Console.WriteLine($"count {key}: {loaded.Shape}, preference {loaded.Preferences[preferenceIndex]}");
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        DateTime last = DateTime.MinValue;
        var progress = new Progress<CountStatus>(s =>
        {
            if (DateTime.UtcNow - last >= TimeSpan.FromSeconds(5) || s.Finished)
            {
                last = DateTime.UtcNow;
                Console.WriteLine($"  {s.Done}/{s.SubCubes} sub-cubes on {s.Silos.Length} silo(s), {s.Rate:F1}/s, {s.Remaining?.ToString(@"hh\:mm\:ss") ?? "?"} left");
            }
        });
        CountStatus status = await ClusterCounting.WatchAsync(grains, key, progress, TimeSpan.FromMilliseconds(250), cancel.Token);
        Certificate certificate = ClusterCounting.ToCertificate(job, status);
        Console.WriteLine(certificate);
        await client.StopAsync();
        return 0;
    }
}
