using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Xunit;
using Xunit.Abstractions;

namespace GenBias.Cluster.Tests;

/// <summary>A test that needs POSIX signals sent to another process: skipped, saying so, where there are none.</summary>
public sealed class PosixSignalFactAttribute : FactAttribute
{
    /// <summary>Skips on Windows, which has no SIGTERM to send to another process.</summary>
    public PosixSignalFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "Windows cannot send SIGTERM to another process; the graceful stop is tested in process by ClusterCountTests.";
        }
    }
}

/// <summary>
/// ClusterCount silos as operating-system processes, as an operator runs them: one is sent SIGTERM mid-count and must
/// leave as hosts expect (exit 0 within seconds, its sub-cubes given back) while the count finishes exactly.
/// Not run beside the in-process cluster tests (one collection): on two cores, their three silos would starve the
/// processes' count past its time limit.
/// </summary>
[Collection("silos")]
public sealed class SiloProcessTests(ITestOutputHelper output)
{
    [PosixSignalFact]
    public async Task A_silo_process_sent_SIGTERM_mid_count_exits_0_and_hands_its_work_over()
    {
        var clock = Stopwatch.StartNew();
        // A lease of 10 minutes: the count finishes within the test's time only if the stopped silo gave its
        // sub-cube back (an abandoned lease would hold the count for 10 minutes).
        (CountJob job, long expected, long subCubes) = ClusterCountTests.Job(lease: TimeSpan.FromMinutes(10));
        string clusterId = $"sigterm-{Guid.NewGuid():N}";
        int[] siloPorts = [.. Enumerable.Range(0, 3).Select(_ => FreePort())];
        int[] gatewayPorts = [.. Enumerable.Range(0, 3).Select(_ => FreePort())];
        var silos = new List<SiloProcess>();
        try
        {
            // The primary first (localhost clustering: the others join through it), then the other two.
            silos.Add(SiloProcess.Start(0, siloPorts[0], gatewayPorts[0], siloPorts[0], clusterId));
            await silos[0].WaitForOutput("up (cluster", TimeSpan.FromSeconds(30));
            silos.Add(SiloProcess.Start(1, siloPorts[1], gatewayPorts[1], siloPorts[0], clusterId));
            silos.Add(SiloProcess.Start(2, siloPorts[2], gatewayPorts[2], siloPorts[0], clusterId));
            await Task.WhenAll(silos.Skip(1).Select(s => s.WaitForOutput("up (cluster", TimeSpan.FromSeconds(30))));

            using IHost client = new HostBuilder()
                .UseOrleansClient(c =>
                {
                    c.Configure<ClusterOptions>(o => { o.ClusterId = clusterId; o.ServiceId = "genbias-counts"; });
                    c.UseLocalhostClustering(gatewayPorts, "genbias-counts", clusterId);
                })
                .Build();
            await client.StartAsync();
            IGrainFactory grains = client.Services.GetRequiredService<IClusterClient>();
            string key = await ClusterCounting.SubmitAsync(grains, job);
            ICountCoordinatorGrain coordinator = grains.GetGrain<ICountCoordinatorGrain>(key);

            // The victim: neither the primary nor the coordinator's silo, and one that has counted a sub-cube.
            string host = (await coordinator.Status()).Host;
            SiloProcess victim = silos.Skip(1).First(s => !s.Is(host));
            CountStatus before = await WaitUntil(coordinator, s => s.Silos.Any(victim.Is) || s.Finished);
            Assert.False(before.Finished, $"the count finished before silo {victim.Index} could be stopped mid-count; give it more work");

            var stopping = Stopwatch.StartNew();
            victim.Terminate();
            bool exited = await victim.WaitForExit(TimeSpan.FromSeconds(15));
            stopping.Stop();
            output.WriteLine($"silo {victim.Index} (port {victim.SiloPort}) sent SIGTERM at {before.Done}/{subCubes} sub-cubes; exited {(exited ? $"with {victim.ExitCode} in {stopping.Elapsed.TotalSeconds:F1} s" : "not at all")}");
            output.WriteLine(victim.Output);
            Assert.True(exited, $"silo {victim.Index} still runs 15 s after SIGTERM");
            Assert.Equal(0, victim.ExitCode);
            Assert.InRange(stopping.Elapsed.TotalSeconds, 0, 5);
            Assert.Contains("stopping: giving back the sub-cubes it is counting", victim.Output, StringComparison.Ordinal);
            Assert.Contains($"silo {victim.Index} stopped", victim.Output, StringComparison.Ordinal);

            var watch = new CountWatchOptions { Interval = TimeSpan.FromMilliseconds(100), GiveUpAfter = TimeSpan.FromSeconds(30) };
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(40));
            CountStatus status;
            try
            {
                status = await ClusterCounting.WatchAsync(grains, job, watch, limit.Token);
            }
            catch (OperationCanceledException) when (limit.IsCancellationRequested)
            {
                throw new TimeoutException($"the count did not finish within 40 s of the stop: {await coordinator.Status()}");
            }

            output.WriteLine($"finished: {status.Count:N0} of {status.Total:N0} on {status.Silos.Length} silos; given back {status.GivenBack}, lent again {status.Relent}, coordinator activations {status.Activations}; {clock.Elapsed.TotalSeconds:F1} s in all");
            // Exact, and no lease expired: whatever the stopped silo held was given back (one sub-cube at most, none
            // when it stopped between two).
            Assert.True(status.Finished);
            Assert.Equal(expected, status.Count);
            Assert.Equal(0, status.Relent);
            Assert.InRange(status.GivenBack, 0, 1);
            Assert.Equal(1, status.Activations);
            Assert.All(silos.Where(s => s != victim), s => Assert.False(s.HasExited, $"silo {s.Index} stopped too:\n{s.Output}"));
            await client.StopAsync();
        }
        finally
        {
            foreach (SiloProcess silo in silos)
            {
                silo.Dispose();
            }
        }
    }

    [PosixSignalFact]
    public async Task A_watching_client_and_a_silo_sent_SIGTERM_exit_0_within_5_s()
    {
        // 3^20 inputs on one counting loop: the count is far from done when the client is stopped.
        CountJob job = CountJob.For(ClusterCountTests.Network(1), Preference.OutputAbove(0.3, 0.5), splitDepth: 5, leafFreeInputs: 9, fixedInputs: [1, -1, 0, 1, 1]);
        string model = Path.Combine(Path.GetTempPath(), $"clustercount-sigterm-{Guid.NewGuid():N}.json");
        await File.WriteAllBytesAsync(model, job.Model);
        string clusterId = $"sigterm-client-{Guid.NewGuid():N}";
        int siloPort = FreePort(), gatewayPort = FreePort();
        SiloProcess? silo = null, client = null;
        try
        {
            silo = SiloProcess.Start(0, siloPort, gatewayPort, siloPort, clusterId);
            await silo.WaitForOutput("up (cluster", TimeSpan.FromSeconds(30));
            client = SiloProcess.Client("--model", model, "--split", "5", "--fix", "1,-1,0,1,1", "--silos", "1", "--gateway-port", I(gatewayPort), "--cluster-id", clusterId);
            // The first status line: the count is submitted and watched.
            await client.WaitForOutput(" sub-cubes on ", TimeSpan.FromSeconds(60));
            foreach ((SiloProcess process, string stopped) in new[] { (client, "(SIGTERM); the count goes on"), (silo, "silo 0 stopped") })
            {
                var stopping = Stopwatch.StartNew();
                process.Terminate();
                bool exited = await process.WaitForExit(TimeSpan.FromSeconds(15));
                stopping.Stop();
                output.WriteLine($"{(process == client ? "client" : "silo")} sent SIGTERM: {(exited ? $"exit {process.ExitCode} in {stopping.Elapsed.TotalSeconds:F1} s" : "still running after 15 s")}\n{process.Output}");
                Assert.True(exited);
                Assert.Equal(0, process.ExitCode);
                Assert.InRange(stopping.Elapsed.TotalSeconds, 0, 5);
                Assert.Contains(stopped, process.Output, StringComparison.Ordinal);
            }
        }
        finally
        {
            client?.Dispose();
            silo?.Dispose();
            File.Delete(model);
        }
    }

    private static async Task<CountStatus> WaitUntil(ICountCoordinatorGrain coordinator, Func<CountStatus, bool> condition)
    {
        var clock = Stopwatch.StartNew();
        CountStatus status = await coordinator.Status();
        while (!condition(status) && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(10);
            status = await coordinator.Status();
        }

        return status;
    }

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>One `ClusterCount silo` process, its output collected.</summary>
    private sealed class SiloProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private SiloProcess(int index, int siloPort, Process process)
        {
            Index = index;
            SiloPort = siloPort;
            _process = process;
        }

        public int Index { get; }

        public int SiloPort { get; }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public bool HasExited => _process.HasExited;

        /// <summary>Whether an Orleans silo address (S127.0.0.1:port:generation) is this silo's.</summary>
        public bool Is(string siloAddress) => siloAddress.Contains($":{SiloPort}:", StringComparison.Ordinal);

        public int ExitCode => _process.ExitCode;

        public static SiloProcess Start(int index, int siloPort, int gatewayPort, int primaryPort, string clusterId) =>
            Run(index, siloPort, "silo", "--index", I(index), "--workers", "1", "--silo-port", I(siloPort), "--gateway-port", I(gatewayPort), "--primary-port", I(primaryPort), "--cluster-id", clusterId);

        /// <summary>`ClusterCount count …` as a process (its index and silo port mean nothing).</summary>
        public static SiloProcess Client(params string[] arguments) => Run(-1, -1, ["count", .. arguments]);

        private static SiloProcess Run(int index, int siloPort, params string[] arguments)
        {
            // The example's own build, copied beside the tests by the project reference, run by the same dotnet.
            string program = Path.Combine(AppContext.BaseDirectory, "ClusterCount.dll");
            var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(program);
            foreach (string argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            var process = new Process { StartInfo = info };
            var silo = new SiloProcess(index, siloPort, process);
            process.OutputDataReceived += (_, e) => silo.Append(e.Data);
            process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return silo;
        }

        public async Task WaitForOutput(string text, TimeSpan limit)
        {
            var clock = Stopwatch.StartNew();
            while (!Output.Contains(text, StringComparison.Ordinal))
            {
                if (_process.HasExited || clock.Elapsed > limit)
                {
                    throw new TimeoutException($"silo {Index} did not print '{text}' within {limit.TotalSeconds} s{(_process.HasExited ? $" (exited with {_process.ExitCode})" : "")}:\n{Output}");
                }

                await Task.Delay(50);
            }
        }

        /// <summary>SIGTERM, as systemd, Docker and Kubernetes stop a process.</summary>
        public void Terminate()
        {
            if (Kill(_process.Id, Sigterm) != 0)
            {
                throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }

        public async Task<bool> WaitForExit(TimeSpan limit)
        {
            using var timeout = new CancellationTokenSource(limit);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }

            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is not null)
            {
                lock (_output)
                {
                    _output.AppendLine(line);
                }
            }
        }

        private const int Sigterm = 15;

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static extern int Kill(int pid, int signal);
    }
}
