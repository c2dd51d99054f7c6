using System.Runtime.Intrinsics;
using Xunit;

namespace GenBias.Tests;

public class ActivePathTests
{
    [Fact]
    public void The_active_path_is_what_the_request_and_the_hardware_allow()
    {
        ITernaryNetwork network = new Seed25x16x1();
        network.ComputePath = ComputePath.Scalar;
        Assert.Equal(ComputePath.Scalar, network.ActivePath);
        network.ComputePath = ComputePath.Vector128;
        Assert.Equal(Vector128.IsHardwareAccelerated ? ComputePath.Vector128 : ComputePath.Scalar, network.ActivePath);
        network.ComputePath = ComputePath.Vector256;
        Assert.Equal(Vector256.IsHardwareAccelerated ? ComputePath.Vector256
            : Vector128.IsHardwareAccelerated ? ComputePath.Vector128 : ComputePath.Scalar, network.ActivePath);
        network.ComputePath = ComputePath.Auto;
        ComputePath expected = !Vector128.IsHardwareAccelerated ? ComputePath.Scalar
            : !Vector256.IsHardwareAccelerated ? ComputePath.Vector128
            : Vector512.IsHardwareAccelerated ? ComputePath.Vector512 : ComputePath.Vector256;
        Assert.Equal(expected, network.ActivePath);
        Assert.Equal(ComputePath.Scalar, ((ITernaryNetwork)new ReferenceNetwork(Seed25x16x1.Shape)).ActivePath);
    }
}
