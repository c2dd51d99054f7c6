using System;
using System.Linq;
using Xunit;

namespace GenBias.Tests.Coverage;

/// <summary>A count split into sub-cubes (the unit a cluster shares) adds up to the single-process count and to brute force.</summary>
public class CountPlanTests
{
    [Fact]
    public void The_sub_cubes_of_a_plan_add_up_to_the_count_in_any_order()
    {
        ITernaryNetwork network = ExactCountTests.Network<Leaf12x16x1>(5);
        var preference = Preference.OutputAbove(0.2, 0.5);
        var options = new CountOptions { SplitDepth = 4, LeafFreeInputs = 7 };
        CountPlan plan = CountPlan.Create(network, preference, options);
        Assert.Equal(81, plan.SubCubes);
        Assert.Equal(ExactCountTests.CubeSize(12), plan.Total);
        long forward = 0, backward = 0;
        for (long s = 0; s < plan.SubCubes; s++)
        {
            forward += plan.CountSubCube(s).Count;
        }

        for (long s = plan.SubCubes - 1; s >= 0; s--)
        {
            backward += plan.CountSubCube(s).Count;
        }

        long expected = ExactCountTests.BruteForce(network, preference);
        Assert.Equal(expected, forward);
        Assert.Equal(expected, backward);
        Assert.Equal(expected, CoverageCounter.Count(network, preference, options).Count);
        Assert.Equal(plan.Signature, CountPlan.Create(network, preference, options).Signature);
        Assert.Throws<ArgumentOutOfRangeException>(() => plan.CountSubCube(81));
    }

    [Fact]
    public void A_plan_with_fixed_first_inputs_counts_exactly_the_inputs_that_agree_with_them()
    {
        ITernaryNetwork network = ExactCountTests.Network<Leaf12x16x1>(6);
        var preference = Preference.OutputAbove(0.1, 0.5);
        sbyte[] prefix = [1, -1, 0];
        CountPlan plan = CountPlan.Create(network, preference, new CountOptions { SplitDepth = 2, LeafFreeInputs = 6 }, prefix);
        Assert.Equal(ExactCountTests.CubeSize(9), plan.Cube);
        long counted = Enumerable.Range(0, (int)plan.SubCubes).Sum(s => plan.CountSubCube(s).Count);

        // Brute force over the 3^9 inputs that start with the prefix, through the generated Forward.
        sbyte[] input = new sbyte[12];
        prefix.CopyTo(input, 0);
        long expected = 0;
        for (long index = 0; index < plan.Cube; index++)
        {
            long rest = index;
            for (int i = 3; i < 12; i++)
            {
                input[i] = (sbyte)((rest % 3) - 1);
                rest /= 3;
            }

            float[] output = new float[1];
            network.Forward(input, output);
            expected += preference.Interval.Contains(output[0]) ? 1 : 0;
        }

        Assert.Equal(expected, counted);
        Assert.NotEqual(plan.Signature, CountPlan.Create(network, preference, new CountOptions { SplitDepth = 2, LeafFreeInputs = 6 }, [1, -1, 1]).Signature);
        Assert.Throws<ArgumentException>(() => CountPlan.Create(network, preference, null, [2]));
        Assert.Throws<ArgumentException>(() => CountPlan.Create(network, preference, null, new sbyte[12]));
    }
}
