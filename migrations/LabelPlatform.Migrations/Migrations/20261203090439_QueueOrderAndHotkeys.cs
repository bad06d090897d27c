using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LabelPlatform.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class QueueOrderAndHotkeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "Order",
                table: "LabellingSettings",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "ShowImportLabels",
                table: "LabellingSettings",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "Hotkey",
                table: "ImageClasses",
                type: "TEXT",
                maxLength: 6,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_ImageClasses_DatasetId_Hotkey",
                table: "ImageClasses",
                columns: new[] { "DatasetId", "Hotkey" },
                unique: true,
                filter: "\"Hotkey\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ImageClasses_DatasetId_Hotkey",
                table: "ImageClasses");

            migrationBuilder.DropColumn(
                name: "Order",
                table: "LabellingSettings");

            migrationBuilder.DropColumn(
                name: "ShowImportLabels",
                table: "LabellingSettings");

            migrationBuilder.DropColumn(
                name: "Hotkey",
                table: "ImageClasses");
        }
    }
}
