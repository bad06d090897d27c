using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Settings;

/// <summary>
/// Checks an options object against the data annotations on its properties and names each failure by its
/// configuration key ("Jobs:LeaseDuration"), its value and the allowed range, so whoever set it knows what to change.
/// </summary>
public sealed class SectionValidator<TOptions>(string section) : IValidateOptions<TOptions>
    where TOptions : class
{
    public string Section { get; } = section;

    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var failures = new List<string>();
        foreach (var property in typeof(TOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var attributes = property.GetCustomAttributes<ValidationAttribute>(inherit: true).ToList();
            if (attributes.Count == 0)
            {
                continue;
            }

            var value = property.GetValue(options);
            var context = new ValidationContext(options) { MemberName = property.Name, DisplayName = property.Name };
            foreach (var attribute in attributes)
            {
                if (attribute.GetValidationResult(value, context) is { } result && result != ValidationResult.Success)
                {
                    failures.Add($"{Section}:{property.Name} = {Show(value)}: {Describe(attribute, result)}");
                }
            }
        }

        if (options is IValidatableObject validatable)
        {
            foreach (var result in validatable.Validate(new ValidationContext(options)))
            {
                var keys = result.MemberNames.Any() ? string.Join(", ", result.MemberNames.Select(m => $"{Section}:{m}")) : Section;
                failures.Add($"{keys}: {result.ErrorMessage}");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string Describe(ValidationAttribute attribute, ValidationResult result) => attribute switch
    {
        RangeAttribute range => $"must be between {range.Minimum} and {range.Maximum}",
        RequiredAttribute => "must be set",
        _ => result.ErrorMessage ?? attribute.GetType().Name,
    };

    private static string Show(object? value) => value switch
    {
        null => "(not set)",
        string s when s.Length == 0 => "(empty)",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable list and not string => $"[{string.Join(", ", list.Cast<object?>())}]",
        _ => value.ToString() ?? "",
    };
}
