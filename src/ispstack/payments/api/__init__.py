"""REST API of the payments app: serializers, views and their routes."""
