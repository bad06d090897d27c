using LabelPlatform.Core.Datasets;
using LabelPlatform.Tests.Infrastructure;

namespace LabelPlatform.Tests.Datasets;

/// <summary>Per-class hotkeys: only keys that cannot be typed into the class filter, and one class per key.</summary>
public class ClassHotkeyTests
{
    [Theory]
    [InlineData("F1", true)]
    [InlineData("F12", true)]
    [InlineData("Alt+A", true)]
    [InlineData("Alt+7", true)]
    [InlineData("F13", false)]
    [InlineData("F0", false)]
    [InlineData("A", false)]      // a letter types into the filter
    [InlineData("7", false)]      // a digit picks the n-th listed class
    [InlineData("Alt+N", false)]  // noise
    [InlineData("Alt+U", false)]  // undo
    [InlineData("Ctrl+A", false)]
    [InlineData("Alt+a", false)]  // stored upper case only
    public void Only_function_keys_and_unreserved_alt_keys_are_hotkeys(string key, bool valid) => Assert.Equal(valid, ImageClass.IsValidHotkey(key));

    [Fact]
    public async Task A_key_picks_one_class_of_a_dataset_and_can_be_cleared()
    {
        await using var platform = await CorePlatform.StartAsync();
        var datasets = platform.Get<DatasetService>();
        var one = await datasets.GetOrCreateAsync("keys-one", null, "test");
        var two = await datasets.GetOrCreateAsync("keys-two", null, "test");
        var classes = await datasets.EnsureClassesAsync(one.Id, ["cats", "dogs"], null);
        var other = await datasets.EnsureClassesAsync(two.Id, ["cats"], null);

        await datasets.SetHotkeyAsync(one.Id, classes["cats"], "F2");
        var taken = await Assert.ThrowsAsync<ClassEditException>(() => datasets.SetHotkeyAsync(one.Id, classes["dogs"], "F2"));
        await datasets.SetHotkeyAsync(two.Id, other["cats"], "F2"); // another dataset may use the same key
        var reserved = await Assert.ThrowsAsync<ClassEditException>(() => datasets.SetHotkeyAsync(one.Id, classes["dogs"], "Alt+X"));
        var foreign = await Assert.ThrowsAsync<ClassEditException>(() => datasets.SetHotkeyAsync(one.Id, other["cats"], "F3"));
        await datasets.SetHotkeyAsync(one.Id, classes["cats"], null);
        await datasets.SetHotkeyAsync(one.Id, classes["dogs"], "F2");

        Assert.Contains("F2 already picks 'cats'", taken.Message, StringComparison.Ordinal);
        Assert.Contains("pages' own actions", reserved.Message, StringComparison.Ordinal);
        Assert.Contains("not in this dataset", foreign.Message, StringComparison.Ordinal);
    }
}
