using System;
using System.Collections.Concurrent;
using System.Threading.Tasks;
using Orleans;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace GenBias.Cluster.Tests;

/// <summary>
/// Grain storage shared by every silo of the test cluster, as a database outside the cluster would be: a silo that
/// is killed takes none of it along. States are stored serialised (never a shared object), with ETags.
/// </summary>
internal sealed class SharedGrainStorage(Serializer serializer) : IGrainStorage
{
    private static readonly ConcurrentDictionary<string, (byte[] Bytes, string ETag)> Store = new();

    /// <summary>Empties the database (each test cluster starts from nothing).</summary>
    public static void Clear() => Store.Clear();

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
        string etag = Guid.NewGuid().ToString("N");
        byte[] bytes = serializer.SerializeToArray(grainState.State);
        Store.AddOrUpdate(key,
            _ => grainState.ETag is null ? (bytes, etag) : throw new InconsistentStateException($"{key}: no stored state for ETag {grainState.ETag}"),
            (_, old) => old.ETag == grainState.ETag ? (bytes, etag) : throw new InconsistentStateException($"{key}: ETag {grainState.ETag}, stored {old.ETag}"));
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
