using System.CodeDom.Compiler;
using System.Linq;
using System.Reflection;
using Xunit;

namespace GenBias.Tests;

/// <summary>Generated members carry [GeneratedCode] naming the generator and the package's version; the user's do not.</summary>
public class GeneratedCodeAttributeTests
{
    [Fact]
    public void Every_generated_member_names_the_generator_and_the_package_version()
    {
        string version = typeof(ITernaryNetwork).Assembly.GetName().Version!.ToString(3);
        MemberInfo[] members = typeof(UserPart).GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => !m.Name.Contains('<') && m is not ConstructorInfo && !(m is MethodInfo { IsSpecialName: true }))
            .ToArray();
        Assert.Contains(members, m => m.Name == "Forward");
        foreach (MemberInfo member in members)
        {
            GeneratedCodeAttribute? attribute = member.GetCustomAttribute<GeneratedCodeAttribute>();
            if (member.Name == nameof(UserPart.Describe))
            {
                Assert.Null(attribute);
                continue;
            }

            Assert.True(attribute != null, $"{member.MemberType} {member.Name} has no [GeneratedCode]");
            Assert.Equal("GenBias.Generators", attribute.Tool);
            Assert.Equal(version, attribute.Version);
        }

        Assert.Null(typeof(UserPart).GetCustomAttribute<GeneratedCodeAttribute>());
    }
}

[TernaryNetwork(Inputs = 6)]
[Dense(3, Activation.Tanh)]
[Dense(1, Activation.Sigmoid)]
public partial class UserPart
{
    /// <summary>The user's own member, in the same class.</summary>
    public string Describe() => "mine";
}
