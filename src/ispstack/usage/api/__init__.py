"""REST API of the usage app: serializers, views and their routes."""
