using Xunit;

namespace GenBias.Tests.Training;

public class DeclaredPreferenceTests
{
    [Fact]
    public void Prefer_attributes_become_the_generated_preference_list()
    {
        Assert.Equal(2, Declared.Preferences.Count);
        Assert.Equal(Preference.OutputAbove(0.5, 0.6), Declared.Preferences[0]);
        Assert.Equal(new Preference
        {
            Layer = 0,
            Neuron = null,
            Interval = new ActivationInterval(-0.25, 0.25),
            Relation = PreferenceRelation.AtMost,
            Target = 0.3,
            Distribution = PreferenceDistribution.TrainingData,
            Method = EnforcementMethod.Penalty,
        }, Declared.Preferences[1]);
        foreach (Preference preference in Declared.Preferences)
        {
            preference.Validate(Declared.Shape);
        }

        Assert.Empty(SeedNeuron.Preferences);
    }
}
