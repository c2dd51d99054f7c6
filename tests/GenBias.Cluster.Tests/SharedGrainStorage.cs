using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Orleans;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace GenBias.Cluster.Tests;

/// <summary>
/// Grain storage for the test clusters, in two kinds. <b>Durable</b> is shared by every silo, as a database outside the
/// cluster would be: a silo that is killed takes none of it along. <b>Lossy</b> behaves like Orleans' memory storage
/// in the case that matters: a state lives on one silo (here, the silo whose grain wrote it last) and is gone when that
/// silo dies (<see cref="Lose"/>). States are stored serialised (never a shared object), with ETags; every write is
/// counted with its size, so tests can see what a count writes.
/// </summary>
internal sealed class SharedGrainStorage(Serializer serializer, string silo) : IGrainStorage
{
    private static readonly ConcurrentDictionary<string, (byte[] Bytes, string ETag, string Silo)> Store = new();
    private static readonly ConcurrentDictionary<string, WriteTally> Tallies = new();
    private static readonly ConcurrentDictionary<string, bool> Dead = new();

    /// <summary>Writes of one kind of state: how many, their bytes, the largest.</summary>
    internal sealed class WriteTally
    {
        private long _writes, _bytes, _largest;

        public long Writes => Interlocked.Read(ref _writes);

        public long Bytes => Interlocked.Read(ref _bytes);

        public long Largest => Interlocked.Read(ref _largest);

        public void Add(int bytes)
        {
            Interlocked.Increment(ref _writes);
            Interlocked.Add(ref _bytes, bytes);
            long largest;
            while (bytes > (largest = Interlocked.Read(ref _largest)) && Interlocked.CompareExchange(ref _largest, bytes, largest) != largest)
            {
            }
        }
    }

    /// <summary>Empties the storage and the tallies (each test cluster starts from nothing).</summary>
    public static void Clear()
    {
        Store.Clear();
        Tallies.Clear();
        Dead.Clear();
    }

    /// <summary>The writes of the states named <paramref name="stateName"/> ("count", "shard", "registry").</summary>
    public static WriteTally Written(string stateName) => Tallies.GetOrAdd(stateName, _ => new WriteTally());

    /// <summary>
    /// Loses every state held on <paramref name="silo"/>, as memory storage does when the silo dies; from now on the silo
    /// stores nothing (call it just before killing the silo, so that no activation elsewhere reads what it held).
    /// </summary>
    public static int Lose(SiloAddress silo)
    {
        string name = silo.ToString();
        Dead[name] = true;
        string[] lost = [.. Store.Where(e => e.Value.Silo == name).Select(e => e.Key)];
        foreach (string key in lost)
        {
            Store.TryRemove(key, out _);
        }

        return lost.Length;
    }

    /// <summary>The silo holding <paramref name="stateName"/> of grain <paramref name="key"/> (null: none stored).</summary>
    public static string? HolderOf(string stateName, string key) =>
        Store.FirstOrDefault(e => e.Key.StartsWith(stateName + "/", StringComparison.Ordinal) && e.Key.EndsWith("/" + key, StringComparison.Ordinal)).Value.Silo;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (Store.TryGetValue(Key(stateName, grainId), out var stored))
        {
            grainState.State = serializer.Deserialize<T>(stored.Bytes);
            grainState.ETag = stored.ETag;
            grainState.RecordExists = true;
        }

        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        string key = Key(stateName, grainId);
        if (Dead.ContainsKey(silo))
        {
            throw new OrleansException($"{key}: silo {silo} is dead and stores nothing");
        }

        string etag = Guid.NewGuid().ToString("N");
        byte[] bytes = serializer.SerializeToArray(grainState.State);
        Store.AddOrUpdate(key,
            _ => grainState.ETag is null ? (bytes, etag, silo) : throw new InconsistentStateException($"{key}: no stored state for ETag {grainState.ETag}"),
            (_, old) => old.ETag == grainState.ETag ? (bytes, etag, silo) : throw new InconsistentStateException($"{key}: ETag {grainState.ETag}, stored {old.ETag}"));
        Written(stateName).Add(bytes.Length);
        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Store.TryRemove(Key(stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private static string Key(string stateName, GrainId grainId) => $"{stateName}/{grainId}";
}
